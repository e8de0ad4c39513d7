"""The macOS workflow (docs/workflows/memory-gates-macos.yml), checked the way a reviewer with a Mac would.

It cannot run here.  It is parsed (the same small reader as the Linux one) and
each choice that made the old file fail on GitHub is asserted against its
public source:

- runner ``macos-15`` (``macos-14`` was retired) with an explicit Xcode whose path
  runner-images lists for that image (images/macos/macos-15-Readme.md: Xcode 16.4 at
  /Applications/Xcode_16.4.app, iOS 18.5 simulators of the iPhone 16 family);
- pytest-iosmem installed from a checkout (it is not on the package index);
- WebDriverAgent cloned at a release tag, built for testing, started by the
  plugin from its ``.xctestrun`` on the simulator's UDID;
- the app built from a workspace or project, its path read from
  ``-showBuildSettings -json`` (product name != scheme);
- ``iosmem-artifacts/`` uploaded (the heap/leaks outputs, memgraphs and WDA log a failing gate names).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from .test_ci_linux_workflow import MACOS, by_name, parse_steps

TEXT = MACOS.read_text()
STEPS = by_name(MACOS)


def env() -> dict[str, str]:
    block = TEXT[TEXT.index("    env:\n"):TEXT.index("    steps:\n")]
    pairs = re.findall(r"^      ([A-Z_]+): (.+?)(?:\s+#.*)?$", block, re.M)
    return {k: v.strip().strip('"') for k, v in pairs}


def test_steps_in_order():
    assert list(STEPS) == ["Select Xcode", "Install pytest-iosmem", "Create and boot a fresh simulator",
                           "Build the app for the simulator", "Build WebDriverAgent", "Memory gates",
                           "Post the summary", "Upload the reports", "Delete the simulator"]


def test_runner_and_xcode_are_explicit():
    [label] = re.findall(r"^    runs-on: (\S+)", TEXT, re.M)
    assert label == "macos-15"
    e = env()
    assert e["XCODE_APP"] == "/Applications/Xcode_16.4.app"  # runner-images: Xcode 16.4 on macos-15
    select = STEPS["Select Xcode"]["run"]
    assert 'sudo xcode-select -s "$XCODE_APP"' in select and "xcodebuild -version" in select
    # simulators that image has with Xcode 16.4
    assert e["SIM_DEVICE_TYPE"] == "iPhone 16" and e["SIM_RUNTIME"] == "com.apple.CoreSimulator.SimRuntime.iOS-18-5"
    boot = STEPS["Create and boot a fresh simulator"]["run"]
    assert 'xcrun simctl list runtimes | grep -q "$SIM_RUNTIME"' in boot  # a missing runtime says so
    assert 'xcrun simctl create "iosmem gate" "$SIM_DEVICE_TYPE" "$SIM_RUNTIME"' in boot
    assert 'iosmem doctor --target simulator --simulator-udid "$UDID"' in boot


def test_pytest_iosmem_is_installed_from_a_checkout():
    steps = parse_steps(TEXT)
    [checkout] = [s for s in steps if s.get("with.path") == "pytest-iosmem"]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with.repository"] == "${{ env.IOSMEM_REPO }}" and checkout["with.ref"] == "${{ env.IOSMEM_REF }}"
    assert STEPS["Install pytest-iosmem"]["run"] == "python -m pip install './pytest-iosmem[html]'"
    assert "pip install 'pytest-iosmem" not in TEXT  # never from the index


def test_webdriveragent_is_pinned_and_started_by_the_plugin_on_this_simulator():
    version = env()["WDA_VERSION"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", version)  # a release tag of appium/WebDriverAgent
    build = STEPS["Build WebDriverAgent"]["run"]
    assert 'git clone --depth 1 --branch "$WDA_VERSION" https://github.com/appium/WebDriverAgent.git wda' in build
    assert "build-for-testing" in build and '-destination "id=$UDID"' in build
    assert "WebDriverAgentRunner_iphonesimulator*.xctestrun" in build
    gates = STEPS["Memory gates"]["run"]
    assert '--iosmem-simulator-xctestrun "$XCTESTRUN"' in gates  # WDA serves before the app starts
    assert "name=" not in TEXT.split("steps:", 1)[1]  # simulators by UDID only, never by name


def test_the_app_is_built_from_a_workspace_and_found_by_its_build_settings():
    build = STEPS["Build the app for the simulator"]["run"]
    assert env()["XCODE_CONTAINER"].startswith("-workspace ") and env()["XCODE_CONTAINER"].endswith(".xcworkspace")
    assert build.count("xcodebuild $XCODE_CONTAINER") == 2 and "-showBuildSettings -json" in build
    assert '--iosmem-simulator-app "$APP_PATH"' in STEPS["Memory gates"]["run"]


def test_the_app_path_snippet_finds_an_app_whose_name_is_not_the_schemes(tmp_path):
    """Runs the step's Python on the shape of ``-showBuildSettings -json`` (a list of {target, action, buildSettings})."""
    code = re.search(r"python -c '(.*?)'\)", STEPS["Build the app for the simulator"]["run"], re.S).group(1)
    settings = [
        {"target": "Pods-MyApp", "action": "build", "buildSettings": {
            "PRODUCT_TYPE": "com.apple.product-type.framework", "TARGET_BUILD_DIR": "/b/Debug-iphonesimulator",
            "FULL_PRODUCT_NAME": "Pods_MyApp.framework"}},
        {"target": "MyApp", "action": "build", "buildSettings": {
            "PRODUCT_TYPE": "com.apple.product-type.application", "TARGET_BUILD_DIR": "/b/Debug-iphonesimulator",
            "FULL_PRODUCT_NAME": "My App Beta.app"}},
    ]
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(settings), capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "/b/Debug-iphonesimulator/My App Beta.app"


def test_artifacts_and_summary_are_uploaded_always():
    upload = STEPS["Upload the reports"]
    assert upload["if"] == "always()" and upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with.path"].split() == ["iosmem-report.json", "iosmem-report.html", "iosmem-summary.md",
                                           "iosmem-artifacts/"]
    gates = STEPS["Memory gates"]["run"]
    for flag in ("--iosmem-target simulator", "--iosmem-json=iosmem-report.json", "--iosmem-html=iosmem-report.html",
                 "--iosmem-markdown=iosmem-summary.md"):
        assert flag in gates
    assert '>> "$GITHUB_STEP_SUMMARY"' in STEPS["Post the summary"]["run"]
    assert STEPS["Delete the simulator"]["if"] == "always()"


@pytest.mark.parametrize("name", [n for n, s in STEPS.items() if "run" in s])
def test_each_shell_step_parses(name):
    check = subprocess.run(["bash", "-n", "-c", STEPS[name]["run"]], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr


def test_every_iosmem_option_it_uses_exists():
    from pytest_iosmem.options import _all_options

    known = {o.flag for o in _all_options()} | {"--iosmem-json", "--iosmem-html", "--iosmem-markdown"}
    used = set(re.findall(r"--iosmem-[a-z-]+", TEXT))
    assert used and used <= known, used - known
