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
            "FAKE_LEAKS_OUTPUT": str(DATA / "leaks_output_ios_sim_bytebuddy_noleaks.txt"),
            "FAKE_MALLOC_HISTORY_OUTPUTS": str(DATA / "malloc_history_allBySize_craftware-tip-safari-2018.txt")}


def run_doctor(env, *args, cwd=None):
    """``iosmem doctor ARGS``, checking the simulator target unless ARGS name one (the default is local)."""
    target = [] if "--target" in args else ["--target", "simulator"]
    return subprocess.run([IOSMEM, "doctor", *target, *args], capture_output=True, text=True, env=env, timeout=120,
                          cwd=cwd)


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


# -- local (the default) -----------------------------------------------------------------------------
@pytest.mark.slow
def test_the_default_is_the_local_target_and_this_machine_is_ready_for_it(tmp_path):
    # no Xcode, no xcrun, no heap on PATH: the local target needs none of them
    bare = {**os.environ, "PATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "pytest_iosmem.cli", "doctor"], capture_output=True, text=True,
                         env=bare, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("iosmem doctor: local target\n")
    assert line(out.stdout, "psutil").startswith("OK")
    footprint = line(out.stdout, "footprint")
    assert re.match(r"OK    footprint          read [1-9]\d* KiB from a child process", footprint)
    assert "the local target is ready" in footprint
    assert out.stdout.rstrip().endswith("no check failed")
    assert "local" in subprocess.run([IOSMEM, "doctor", "--help"], capture_output=True, text=True,
                                     timeout=60).stdout


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
    assert line(out.stdout, "memory warning").startswith(
        "OK    memory warning     posted to com.example.MyApp and confirmed by its log")
    wda = line(out.stdout, "webdriveragent")
    assert wda.startswith("OK") and f"{wda_server} answers /status (WDA 8.5.2, iOS 17.4)" in wda
    assert out.stdout.rstrip().endswith("no check failed")
    xcrun = [json.loads(x)["argv"] for x in (tmp_path / "xcrun.log").read_text().splitlines()]
    assert ["simctl", "launch", "--terminate-running-process", IPHONE15, "com.example.MyApp"] in xcrun
    assert xcrun[-1] == ["simctl", "terminate", IPHONE15, "com.example.MyApp"]  # the app is stopped again
    tools = [json.loads(x)["argv"] for x in (tmp_path / "tools.log").read_text().splitlines()]
    assert ["xcodebuild", "test-without-building", "-xctestrun", str(xctestrun), "-destination",
            f"id={IPHONE15}"] in tools


@pytest.mark.slow
def test_no_xcode_at_all(env, tmp_path):
    bare = {**env, "PATH": str(tmp_path)}  # Linux, or a Mac without Xcode: no xcodebuild, no xcrun, no heap
    out = subprocess.run([sys.executable, "-m", "pytest_iosmem.cli", "doctor", "--target", "simulator"],
                         capture_output=True, text=True, env=bare, timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    xcode = line(out.stdout, "xcode")
    assert xcode.startswith("FAIL  xcode              no xcodebuild on PATH")
    assert "do: install Xcode 16.4 or later, then: sudo xcode-select -s /Applications/Xcode.app" in xcode
    assert line(out.stdout, "simctl").startswith("FAIL") and "no 'xcrun' on PATH" in out.stdout
    assert line(out.stdout, "simulator").startswith("SKIP")
    assert line(out.stdout, "heap").startswith("FAIL  heap               no 'heap' on PATH")
    assert re.search(r"^\d+ check\(s\) failed$", out.stdout, re.M)


@pytest.mark.slow
def test_command_line_tools_only(env):
    out = run_doctor({**env, "FAKE_XCODEBUILD_EXIT": "1"})
    xcode = line(out.stdout, "xcode")
    assert xcode.startswith("FAIL") and "requires Xcode, but active developer directory" in xcode
    assert "do: select a full Xcode, not the Command Line Tools: sudo xcode-select -s /Applications/Xcode.app" \
        in xcode
    assert out.returncode == 1


@pytest.mark.slow
def test_an_old_xcode_is_a_warning(env):
    out = run_doctor({**env, "FAKE_XCODE_VERSION": "Xcode 15.4\nBuild version 15F31d"})
    xcode = line(out.stdout, "xcode")
    assert xcode.startswith("WARN  xcode              Xcode 15.4 (Build version 15F31d): older than 16.4")
    assert out.returncode == 0  # warnings do not fail


@pytest.mark.slow
def test_a_simulator_the_host_does_not_have(env):
    """The docs' old example, iPhone 15 on iOS 18.5: not in a fresh Xcode 16 listing."""
    out = run_doctor(env, "--simulator-name", "iPhone 15", "--simulator-runtime", "iOS 18.5")
    sim = line(out.stdout, "simulator")
    assert sim.startswith("FAIL  simulator          no available simulator matches iPhone 15 on iOS 18.5")
    assert "`xcrun simctl list devices available`" in sim and "xcodebuild -downloadPlatform iOS" in sim
    assert line(out.stdout, "jetsam row").startswith("SKIP")
    assert out.returncode == 1


@pytest.mark.slow
def test_a_restricted_app_is_scanned_and_the_doctor_warns_that_contents_are_hidden(env):
    # "Process N is not debuggable…" then a real scan (0 leaks): the counts stand, contents were not shown
    out = run_doctor({**env, "FAKE_LEAKS_OUTPUT": str(DATA / "leaks_not-debuggable_lilly-readme-macos13.txt")},
                     "--simulator-udid", IPHONE15, "--app", "com.example.MyApp")
    leaks = line(out.stdout, "leaks")
    assert leaks.startswith("WARN  leaks              inspected com.example.MyApp (0 leak(s), 0 bytes), but Process "
                            "53176 is not debuggable. Due to security restrictions")
    assert "do: build the app with the Debug configuration (signed with get-task-allow)" in leaks
    assert line(out.stdout, "heap").startswith("OK") and line(out.stdout, "malloc_history").startswith("OK")
    assert out.returncode == 0  # a warning


@pytest.mark.slow
def test_heap_refused_the_task_port_names_devtoolssecurity(env):
    out = run_doctor({**env, "FAKE_HEAP_EXIT": "1", "FAKE_HEAP_STDERR": "heap: task_for_pid(2345) failed"},
                     "--pid", "2345")
    heap = line(out.stdout, "heap")
    assert heap.startswith("FAIL  heap               macOS refused heap the process (pid 2345)")
    assert "task_for_pid(2345) failed" in heap and "do: allow developer tools to inspect processes: sudo " \
        "DevToolsSecurity -enable" in heap
    assert out.returncode == 1


@pytest.mark.slow
def test_an_attach_refusal_names_devtoolssecurity(env):
    # debugserver's refusal in lldb's words, as leaks would pass it on
    refusal = "error: attach failed: Not allowed to attach to process.  Look in the console messages (Console.app)"
    out = run_doctor({**env, "FAKE_LEAKS_EXIT": "2", "FAKE_LEAKS_STDERR": refusal}, "--pid", "2345")
    leaks = line(out.stdout, "leaks")
    assert leaks.startswith("FAIL  leaks              macOS refused leaks the process (pid 2345)")
    assert "Not allowed to attach to process" in leaks and "sudo DevToolsSecurity -enable" in leaks
    assert out.returncode == 1


@pytest.mark.slow
def test_without_an_app_the_doctor_inspects_a_process_it_starts_itself(env, tmp_path, app):
    out = run_doctor(env, "--simulator-udid", IPHONE15)
    for tool in ("heap", "leaks", "malloc_history"):
        assert line(out.stdout, tool).startswith(f"OK    {tool:<18} inspected a process the doctor started"), tool
    assert "2 allocation stacks" not in out.stdout and "1 allocation stacks" in out.stdout  # the Safari record
    tools = [json.loads(x)["argv"] for x in (tmp_path / "tools.log").read_text().splitlines()]
    pids = {argv[1] for argv in tools if argv[0] in ("heap", "leaks", "malloc_history")}
    assert len(pids) == 1 and pids != {str(app.pid)}  # its own child, not the app stand-in
    assert [argv[0] for argv in tools] == ["heap", "leaks", "malloc_history"]
    assert ["malloc_history", pids.pop(), "-allBySize"] in tools


@pytest.mark.slow
def test_a_memory_warning_the_apps_log_never_shows_is_a_warning(env):
    out = run_doctor({**env, "FAKE_XCRUN_LOG_SHOW": "none"}, "--simulator-udid", IPHONE15, "--app", "com.example.MyApp")
    check = line(out.stdout, "memory warning")
    assert check.startswith(f"WARN  memory warning     a memory warning was posted to simulator {IPHONE15} but not "
                            "confirmed: no log line of pid")
    assert "do: reclaim checks will not run until the app's log shows the warning" in check
    assert out.returncode == 0


@pytest.mark.slow
def test_malloc_history_without_stack_logging_says_so(env):
    out = run_doctor({**env, "FAKE_MALLOC_HISTORY_EXIT": "1",
                      "FAKE_MALLOC_HISTORY_STDERR": "malloc_history: process 2345 has no stack logging"},
                     "--pid", "2345")
    check = line(out.stdout, "malloc_history")
    assert check.startswith("FAIL  malloc_history     cannot inspect pid 2345: malloc_history cannot read stacks")
    assert "do: launch the app with MallocStackLogging=1" in check
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
def test_without_wda_options_wda_default_port_is_probed(monkeypatch, wda_server):
    monkeypatch.setattr(doctor, "DEFAULT_WDA_URL", wda_server)  # stands for http://127.0.0.1:8100
    args = argparse.Namespace(xctestrun=None, wda_url=None)
    check = doctor._simulator_wda_check(args, None)
    assert check.status == "OK" and f"{wda_server} answers /status (WDA 8.5.2, iOS 17.4)" in check.detail


@pytest.mark.slow
def test_without_wda_options_wda_is_a_warning(env):
    out = run_doctor(env, "--simulator-udid", IPHONE15)
    wda = line(out.stdout, "webdriveragent")  # (nothing listens on WebDriverAgent's default port here)
    assert wda.startswith("WARN  webdriveragent     none answers at http://127.0.0.1:8100/status; give --xctestrun")
    assert out.returncode == 0


@pytest.mark.slow
def test_simulator_jetsam_row_unknown_is_a_warning(env):
    out = run_doctor(env, "--simulator-udid", IPHONE15)
    jetsam = line(out.stdout, "jetsam row")
    assert jetsam.startswith("WARN  jetsam row         no public measurement of iPhone15,4 (iPhone 15)")
    assert "do: give --iosmem-jetsam-limit SIZE" in jetsam


# -- device ------------------------------------------------------------------------------------------
def device_args(**kw) -> argparse.Namespace:
    return argparse.Namespace(device_udid=kw.get("udid"), wda_url=kw.get("wda_url"), app=kw.get("app"))


READY = dict(version="11.45.0", connected=["00008110-001A2B3C4D5E6F70"], udid="00008110-001A2B3C4D5E6F70",
             product_type="iPhone12,1", product_version="13.3", device_name="Test iPhone", paired=True,
             developer_mode=True, ddi_mounted=True, route="lockdown over usbmux", sysmon_rows=212)


def checks_for(args=None, **changes) -> dict[str, doctor.Check]:
    facts = DeviceFacts(**{**READY, **changes})
    return {c.name: c for c in doctor.device_checks(args or device_args(), probe=lambda udid: facts)}


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
    assert re.search(rf"do: {re.escape(here)}/python[\d.]* -m pip install 'pymobiledevice3>=11\.26\.0,<12'", pmd)
    assert line(out.stdout, "device").startswith("SKIP")
    assert out.returncode == 1


def test_a_ready_ios13_device_passes():
    checks = checks_for()
    assert {n: c.status for n, c in checks.items()} == {
        "pymobiledevice3": "OK", "device": "OK", "developer mode": "OK", "disk image": "OK",
        "connection": "OK", "sysmontap": "OK", "get-task-allow": "SKIP", "jetsam row": "OK", "webdriveragent": "WARN"}
    assert checks["connection"].detail == "reached through lockdown over usbmux; Instruments (DVT) open"
    assert checks["sysmontap"].detail == "one sample read (212 processes)"
    assert "Enable UI Automation" in checks["webdriveragent"].fix
    assert checks["device"].detail == "Test iPhone (iPhone12,1, iOS 13.3) paired and trusted"
    assert checks["jetsam row"].detail.startswith("iPhone12,1 on iOS 13.3: 2068 MB")


def test_an_old_pymobiledevice3():
    check = checks_for(version="4.2.0")["pymobiledevice3"]
    assert check.status == "FAIL" and "4.2.0 is too old" in check.detail
    assert "pip install -U 'pymobiledevice3>=11.26.0,<12'" in check.fix  # pyproject's pin, cap included


def test_the_install_hints_match_pyprojects_pins():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    from pytest_iosmem.targets import device_adapter

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert extras["device"] == [device_adapter.REQUIREMENT]
    assert device_adapter.REQUIREMENT in extras["test"]
    floor = tuple(int(x) for x in device_adapter.REQUIREMENT.split(">=")[1].split(",")[0].split("."))
    assert floor == doctor.MIN_PYMOBILEDEVICE3


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


def test_ios18_without_a_route_names_what_to_run_and_root_only_for_tunneld():
    problem = ("device: iOS 18.5 is reached through a RemoteXPC tunnel; no tunneld serves it at 127.0.0.1:49151 and "
               "the in-process tunnel did not open (UserspaceTunnelUnavailableError: ...)")
    bad = checks_for(product_type="iPhone17,3", product_version="18.5", route=None, route_problem=problem,
                     sysmon_rows=None)
    assert bad["connection"].status == "FAIL" and bad["connection"].detail == problem
    assert "remote start-tunnel --native" in bad["connection"].fix
    assert f"sudo {sys.executable} -m pymobiledevice3 remote tunneld" in bad["connection"].fix
    assert bad["sysmontap"].status == "SKIP"
    assert bad["jetsam row"].status == "WARN"  # no public measurement for an iPhone 16 on iOS 18
    good = checks_for(product_type="iPhone17,3", product_version="18.5", route="an in-process tunnel (no root)")
    assert good["connection"].status == "OK" and "in-process tunnel (no root)" in good["connection"].detail


def test_sysmontap_that_gives_nothing_while_wda_runs_names_the_known_conflict(wda_server):
    checks = checks_for(device_args(wda_url=wda_server), sysmon_rows=None,
                        sysmon_problem="no sysmontap sample within 15s")
    assert checks["webdriveragent"].status == "OK"
    sysmon = checks["sysmontap"]
    assert sysmon.status == "FAIL" and sysmon.detail == "no sysmontap sample within 15s while WebDriverAgent answered"
    assert "pymobiledevice3 issue #1682" in sysmon.fix
    ok = checks_for(device_args(wda_url=wda_server))["sysmontap"]
    assert ok.status == "OK" and ok.detail == "one sample read while WebDriverAgent answered (212 processes)"


def test_get_task_allow_of_the_app():
    app = device_args(app="com.example.MyApp")
    assert checks_for(app, get_task_allow=True)["get-task-allow"].status == "OK"
    release = checks_for(app, get_task_allow=False)["get-task-allow"]
    assert release.status == "FAIL" and "com.example.MyApp has no get-task-allow" in release.detail
    assert "development signing identity" in release.fix
    unknown = checks_for(app, get_task_allow=None, get_task_allow_problem="com.example.MyApp is not installed on the "
                                                                          "device")["get-task-allow"]
    assert unknown.status == "WARN" and "not installed" in unknown.detail


def test_device_wda_url(wda_server):
    facts = DeviceFacts(**READY)
    [wda] = [c for c in doctor.device_checks(device_args(wda_url=wda_server), probe=lambda u: facts)
             if c.name == "webdriveragent"]
    assert wda.status == "OK" and "WDA 8.5.2" in wda.detail


def test_doctor_is_listed_in_iosmem_help():
    out = subprocess.run([IOSMEM, "--help"], capture_output=True, text=True, timeout=60)
    assert "doctor" in out.stdout and "check this machine for the local, simulator or device target" in out.stdout


@pytest.mark.slow
def test_docs_cli_md_shows_what_the_doctor_prints(env):
    doc = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    command = '$ iosmem doctor --target simulator --simulator-name "iPhone 15" --simulator-runtime "iOS 18.5"\n'
    shown = doc[doc.index(command) + len(command):]
    shown = shown[:shown.index("```")]
    out = run_doctor(env, "--target", "simulator", "--simulator-name", "iPhone 15", "--simulator-runtime", "iOS 18.5")
    assert out.stdout == shown
