"""``iosmem doctor``: each check's OK and failing output, on the stand-ins (tests/fakes) that replay recordings.

Simulator checks run the real command (the installed console script) with the
stand-in ``xcodebuild``, ``xcrun``, ``heap`` and ``leaks`` first on PATH; the
WebDriverAgent the stand-in ``xcodebuild`` "starts" is a stand-in HTTP server
answering a recorded ``/status``.

Device checks: pymobiledevice3 missing is real here (it is not installed in
this environment).  The other answers come through the doctor's one seam,
:func:`pytest_iosmem.targets.device_adapter.doctor_probe`, which stands for
lockdown/amfi/mobile_image_mounter/tunneld queries on a real device; the tests
hand the doctor the ``DeviceFacts`` such a device gives.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pytest_iosmem.cli import doctor
from pytest_iosmem.targets.device_adapter import DeviceFacts

from .cli_helpers import DATA, IOSMEM
from .helpers import fakes_path

IPHONE15 = "218E4ECD-F530-413F-9A8F-65951D3C4DBF"  # "iPhone 15", iOS 17.5, in the Xcode 16 recording
STATUS = (DATA / "wda_status_wda852_ios17_sim_appium_20066.json").read_text()


@pytest.fixture
def app():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    proc.kill()


@pytest.fixture
def env(tmp_path, app):
    return {**os.environ, "PATH": fakes_path(),
            "FAKE_XCRUN_LIST": str(DATA / "simctl_list_xcode16.json"),
            "FAKE_XCRUN_LOG": str(tmp_path / "xcrun.log"), "FAKE_TOOLS_LOG": str(tmp_path / "tools.log"),
            "FAKE_XCRUN_PID": str(app.pid),
            "FAKE_HEAP_OUTPUT": str(DATA / "heap_ios_sim_17_2.txt"),
            "FAKE_LEAKS_OUTPUT": str(DATA / "leaks_output_ios_sim_bytebuddy_noleaks.txt")}


def run_doctor(env, *args, cwd=None):
    return subprocess.run([IOSMEM, "doctor", *args], capture_output=True, text=True, env=env, timeout=120, cwd=cwd)


def line(out: str, name: str) -> str:
    """The check's line and its 'do:' line, if any."""
    lines = out.splitlines()
    for i, text in enumerate(lines):
        if re.match(rf"(OK|WARN|FAIL|SKIP)\s+{re.escape(name)}\s", text):
            follow = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].lstrip().startswith("do:") else ""
            return text + "\n" + follow
    raise AssertionError(f"no {name!r} line in:\n{out}")


@pytest.fixture
def wda_server():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            data = STATUS.encode() if self.path == "/status" else b"{}"
            self.send_response(200 if self.path == "/status" else 404)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# -- simulator ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_ready_simulator_host_passes_every_check(env, tmp_path, wda_server):
    xctestrun = tmp_path / "WebDriverAgentRunner_iphonesimulator18.5-arm64.xctestrun"
    xctestrun.write_text("<plist/>")
    out = run_doctor({**env, "FAKE_WDA_URL": wda_server}, "--target", "simulator", "--simulator-name", "iPhone 15",
                     "--simulator-runtime", "iOS 17.5", "--app", "com.example.MyApp", "--xctestrun", str(xctestrun))
    assert out.returncode == 0, out.stdout + out.stderr
    assert line(out.stdout, "xcode").startswith("OK    xcode              Xcode 16.4 (Build version 16F6)")
    assert "OK    simctl" in out.stdout and "iOS runtimes: iOS 17.5, iOS 18.0" in out.stdout
    assert f"OK    simulator          iPhone 15 (iOS 17.5) {IPHONE15}" in out.stdout
    assert "profile simulator-ios_17.5-com.apple.coresimulator.simdevicetype.iphone-15" in out.stdout
    assert line(out.stdout, "heap").startswith("OK") and line(out.stdout, "leaks").startswith("OK")
    wda = line(out.stdout, "webdriveragent")
    assert wda.startswith("OK") and f"{wda_server} answers /status (WDA 8.5.2, iOS 17.4)" in wda
    assert out.stdout.rstrip().endswith("no check failed")
    xcrun = [json.loads(x)["argv"] for x in (tmp_path / "xcrun.log").read_text().splitlines()]
    assert ["simctl", "launch", "--terminate-running-process", IPHONE15, "com.example.MyApp"] in xcrun
    assert xcrun[-1] == ["simctl", "terminate", IPHONE15, "com.example.MyApp"]  # the app is stopped again
    tools = [json.loads(x)["argv"] for x in (tmp_path / "tools.log").read_text().splitlines()]
    assert ["xcodebuild", "test-without-building", "-xctestrun", str(xctestrun), "-destination",
            f"id={IPHONE15}"] in tools


def test_no_xcode_at_all(env, tmp_path):
    bare = {**env, "PATH": str(tmp_path)}  # Linux, or a Mac without Xcode: no xcodebuild, no xcrun, no heap
    out = subprocess.run([sys.executable, "-m", "pytest_iosmem.cli", "doctor"], capture_output=True, text=True,
                         env=bare, timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    xcode = line(out.stdout, "xcode")
    assert xcode.startswith("FAIL  xcode              no xcodebuild on PATH")
    assert "do: install Xcode 16.4 or later, then: sudo xcode-select -s /Applications/Xcode.app" in xcode
    assert line(out.stdout, "simctl").startswith("FAIL") and "no 'xcrun' on PATH" in out.stdout
    assert line(out.stdout, "simulator").startswith("SKIP")
    assert line(out.stdout, "heap").startswith("FAIL  heap               no 'heap' on PATH")
    assert re.search(r"^\d+ check\(s\) failed$", out.stdout, re.M)


def test_command_line_tools_only(env):
    out = run_doctor({**env, "FAKE_XCODEBUILD_EXIT": "1"})
    xcode = line(out.stdout, "xcode")
    assert xcode.startswith("FAIL") and "requires Xcode, but active developer directory" in xcode
    assert "do: select a full Xcode, not the Command Line Tools: sudo xcode-select -s /Applications/Xcode.app" \
        in xcode
    assert out.returncode == 1


def test_an_old_xcode_is_a_warning(env):
    out = run_doctor({**env, "FAKE_XCODE_VERSION": "Xcode 15.4\nBuild version 15F31d"})
    xcode = line(out.stdout, "xcode")
    assert xcode.startswith("WARN  xcode              Xcode 15.4 (Build version 15F31d): older than 16.4")
    assert out.returncode == 0  # warnings do not fail


def test_a_simulator_the_host_does_not_have(env):
    """The docs' old example, iPhone 15 on iOS 18.5: not in a fresh Xcode 16 listing."""
    out = run_doctor(env, "--simulator-name", "iPhone 15", "--simulator-runtime", "iOS 18.5")
    sim = line(out.stdout, "simulator")
    assert sim.startswith("FAIL  simulator          no available simulator matches iPhone 15 on iOS 18.5")
    assert "`xcrun simctl list devices available`" in sim and "xcodebuild -downloadPlatform iOS" in sim
    assert line(out.stdout, "jetsam row").startswith("SKIP")
    assert out.returncode == 1


@pytest.mark.slow
def test_leaks_that_cannot_inspect_the_app_is_named(env):
    out = run_doctor({**env, "FAKE_LEAKS_OUTPUT": str(DATA / "leaks_not-debuggable_lilly-readme-macos13.txt")},
                     "--simulator-udid", IPHONE15, "--app", "com.example.MyApp")
    leaks = line(out.stdout, "leaks")
    assert leaks.startswith("FAIL  leaks              cannot inspect pid")
    assert "Process 53176 is not debuggable. Due to security restrictions" in leaks
    assert "do: build the app with the Debug configuration (signed with get-task-allow)" in leaks
    assert line(out.stdout, "heap").startswith("OK")
    assert out.returncode == 1


@pytest.mark.slow
def test_heap_that_fails_is_named(env):
    out = run_doctor({**env, "FAKE_HEAP_EXIT": "1", "FAKE_HEAP_STDERR": "heap: task_for_pid(2345) failed"},
                     "--pid", "2345")
    heap = line(out.stdout, "heap")
    assert heap.startswith("FAIL  heap               cannot inspect pid 2345: heap: task_for_pid(2345) failed")
    assert out.returncode == 1


@pytest.mark.slow
def test_an_app_that_cannot_be_launched(env):
    out = run_doctor({**env, "FAKE_XCRUN_REFUSE": "launch"}, "--simulator-udid", IPHONE15, "--app", "com.example.MyApp")
    check = line(out.stdout, "heap/leaks")
    assert check.startswith("FAIL  heap/leaks         cannot launch com.example.MyApp to inspect it")
    assert f"do: install it: xcrun simctl install {IPHONE15} path/to/MyApp.app" in check
    assert out.returncode == 1


@pytest.mark.slow
def test_wda_that_does_not_start_names_its_log(env, tmp_path):
    xctestrun = tmp_path / "W.xctestrun"
    xctestrun.write_text("<plist/>")
    out = run_doctor(env, "--simulator-udid", IPHONE15, "--xctestrun", str(xctestrun))  # the stand-in exits 65
    wda = line(out.stdout, "webdriveragent")
    assert wda.startswith("FAIL  webdriveragent     WebDriverAgent (xcodebuild) ended (exit 65) before serving")
    assert "wda-xcodebuild.log" in wda and "do: read the log" in wda
    assert out.returncode == 1


@pytest.mark.slow
def test_wda_xctestrun_that_is_not_there(env, tmp_path):
    out = run_doctor(env, "--simulator-udid", IPHONE15, "--xctestrun", str(tmp_path / "missing.xctestrun"))
    wda = line(out.stdout, "webdriveragent")
    assert wda.startswith("FAIL") and "no such file" in wda and "build-for-testing" in wda


@pytest.mark.slow
def test_wda_url_that_does_not_answer(env, tmp_path):
    out = run_doctor(env, "--simulator-udid", IPHONE15, "--wda-url", "http://127.0.0.1:9")
    wda = line(out.stdout, "webdriveragent")
    assert wda.startswith("FAIL  webdriveragent     WebDriverAgent at http://127.0.0.1:9 is not reachable")


@pytest.mark.slow
def test_without_wda_options_wda_is_a_warning(env):
    out = run_doctor(env, "--simulator-udid", IPHONE15)
    assert line(out.stdout, "webdriveragent").startswith("WARN  webdriveragent     not checked")
    assert line(out.stdout, "heap/leaks").startswith("SKIP")
    assert out.returncode == 0


@pytest.mark.slow
def test_simulator_jetsam_row_unknown_is_a_warning(env):
    out = run_doctor(env, "--simulator-udid", IPHONE15)
    jetsam = line(out.stdout, "jetsam row")
    assert jetsam.startswith("WARN  jetsam row         no public measurement of iPhone15,4 (iPhone 15)")
    assert "do: give --iosmem-jetsam-limit SIZE" in jetsam


# -- device ------------------------------------------------------------------------------------------
def device_args(**kw) -> argparse.Namespace:
    return argparse.Namespace(device_udid=kw.get("udid"), wda_url=kw.get("wda_url"))


READY = dict(version="11.45.0", connected=["00008110-001A2B3C4D5E6F70"], udid="00008110-001A2B3C4D5E6F70",
             product_type="iPhone12,1", product_version="13.3", device_name="Test iPhone", paired=True,
             developer_mode=True, ddi_mounted=True, tunnel=None)


def checks_for(**changes) -> dict[str, doctor.Check]:
    facts = DeviceFacts(**{**READY, **changes})
    return {c.name: c for c in doctor.device_checks(device_args(), probe=lambda udid: facts)}


def test_device_without_pymobiledevice3_is_real_here():
    try:
        import pymobiledevice3  # noqa: F401
        pytest.skip("pymobiledevice3 is installed here")
    except ImportError:
        pass
    out = subprocess.run([IOSMEM, "doctor", "--target", "device"], capture_output=True, text=True, timeout=60)
    pmd = line(out.stdout, "pymobiledevice3")
    here = os.path.dirname(sys.executable)  # the console script's interpreter: this environment's, by name
    assert pmd.startswith("FAIL  pymobiledevice3    not importable by " + here)
    assert re.search(rf"do: {re.escape(here)}/python[\d.]* -m pip install 'pymobiledevice3>=11\.26\.0'", pmd)
    assert line(out.stdout, "device").startswith("SKIP")
    assert out.returncode == 1


def test_a_ready_ios13_device_passes():
    checks = checks_for()
    assert {n: c.status for n, c in checks.items()} == {
        "pymobiledevice3": "OK", "device": "OK", "developer mode": "OK", "disk image": "OK",
        "tunnel": "SKIP", "jetsam row": "OK", "webdriveragent": "WARN"}
    assert checks["device"].detail == "Test iPhone (iPhone12,1, iOS 13.3) paired and trusted"
    assert checks["jetsam row"].detail.startswith("iPhone12,1 on iOS 13.3: 2068 MB")


def test_an_old_pymobiledevice3():
    check = checks_for(version="4.2.0")["pymobiledevice3"]
    assert check.status == "FAIL" and "4.2.0 is too old" in check.detail and "pymobiledevice3>=11.26.0" in check.fix


def test_no_device_and_several_devices():
    none = checks_for(connected=[], udid=None)
    assert none["device"].status == "FAIL" and none["device"].detail == "no device connected"
    assert none["developer mode"].status == "SKIP"
    two = checks_for(connected=["A", "B"], udid=None)["device"]
    assert two.status == "FAIL" and "2 devices connected: A, B" in two.detail and "--device-udid" in two.fix


def test_an_untrusted_device():
    check = checks_for(paired=False)["device"]
    assert check.status == "FAIL" and "does not trust this computer" in check.detail
    assert "tap 'Trust'" in check.fix


def test_developer_mode_off_says_the_passcode_limit():
    check = checks_for(developer_mode=False)["developer mode"]
    assert check.status == "FAIL" and "Settings > Privacy & Security > Developer Mode" in check.fix
    assert "without a passcode" in check.fix and "DeviceHasPasscodeSetError" in check.fix


def test_disk_image_not_mounted():
    check = checks_for(ddi_mounted=False)["disk image"]
    assert check.status == "FAIL" and f"{sys.executable} -m pymobiledevice3 mounter auto-mount" in check.fix


def test_ios18_needs_a_tunnel_started_with_this_pythons_interpreter():
    bad = checks_for(product_type="iPhone17,3", product_version="18.5", tunnel=False)
    assert bad["tunnel"].status == "FAIL" and bad["tunnel"].detail == "no running tunneld serves this device"
    assert f"sudo {sys.executable} -m pymobiledevice3 remote tunneld" in bad["tunnel"].fix
    assert bad["jetsam row"].status == "WARN"  # no public measurement for an iPhone 16 on iOS 18
    good = checks_for(product_type="iPhone17,3", product_version="18.5", tunnel=True)
    assert good["tunnel"].status == "OK"


def test_device_wda_url(wda_server):
    facts = DeviceFacts(**READY)
    [wda] = [c for c in doctor.device_checks(device_args(wda_url=wda_server), probe=lambda u: facts)
             if c.name == "webdriveragent"]
    assert wda.status == "OK" and "WDA 8.5.2" in wda.detail


def test_doctor_is_listed_in_iosmem_help():
    out = subprocess.run([IOSMEM, "--help"], capture_output=True, text=True, timeout=60)
    assert "doctor" in out.stdout and "check this machine for the simulator or device target" in out.stdout


@pytest.mark.slow
def test_docs_cli_md_shows_what_the_doctor_prints(env):
    doc = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    command = '$ iosmem doctor --target simulator --simulator-name "iPhone 15" --simulator-runtime "iOS 18.5"\n'
    shown = doc[doc.index(command) + len(command):]
    shown = shown[:shown.index("```")]
    out = run_doctor(env, "--target", "simulator", "--simulator-name", "iPhone 15", "--simulator-runtime", "iOS 18.5")
    assert out.stdout == shown
