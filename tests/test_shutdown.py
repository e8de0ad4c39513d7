"""A cancelled run leaves nothing behind: SIGTERM, a killed runner, wrapper commands.

Real processes throughout: an inner pytest run in a subprocess (what a CI job
runs), real signals, and a check by pid and process group that nothing the
run started is still alive.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_iosmem.targets.base import AppSpec
from pytest_iosmem.targets.local import LocalTarget

from .helpers import INNER, fakes_path

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find process groups")

INNER_TEST = """
import os, time

def test_waits_to_be_cancelled(iosmem):
    with open(os.environ["IOSMEM_TEST_READY"] + ".tmp", "w") as fh:
        fh.write(str(iosmem.app.pid))
    os.replace(os.environ["IOSMEM_TEST_READY"] + ".tmp", os.environ["IOSMEM_TEST_READY"])
    time.sleep(120)
"""


def live_members(pgid: int) -> list[int]:
    """Pids of live (not zombie) processes in process group ``pgid``, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            found.append(int(entry))
    return found


def wait_until(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def start_inner_run(tmp_path: Path, app: str) -> tuple[subprocess.Popen, Path, Path]:
    (tmp_path / "test_cancel.py").write_text(INNER_TEST)
    ready = tmp_path / "app.pid"
    report = tmp_path / "report.json"
    env = {**os.environ, "IOSMEM_TEST_READY": str(ready)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", *INNER, "-q", str(tmp_path / "test_cancel.py"),
         f"--iosmem-app={app}", f"--iosmem-json={report}", f"--iosmem-baselines={tmp_path / 'baselines'}",
         "--iosmem-settle-timeout=0.5"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    if not wait_until(ready.exists, 60):
        proc.kill()
        out = proc.communicate()[0]
        pytest.fail(f"the inner test never started:\n{out[-3000:]}")
    return proc, ready, report


@pytest.mark.slow
@linux_only
def test_sigterm_to_pytest_stops_the_whole_app_group_and_writes_an_interrupted_report(tmp_path):
    # A wrapper with two grandchildren: the shell is the launched (measured) process.
    proc, ready, report = start_inner_run(tmp_path, "sh -c 'sleep 300 & sleep 301 & wait'")
    app_pid = int(ready.read_text())
    assert wait_until(lambda: len(live_members(app_pid)) == 3, 10), live_members(app_pid)
    try:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    left = live_members(app_pid)
    for pid in left:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"still running after SIGTERM to pytest: {left}\n{out[-3000:]}"
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out[-3000:]
    doc = json.loads(report.read_text())
    assert doc["interrupted"] is True
    [result] = doc["tests"]
    assert result["outcome"] == "interrupted"
    assert result["nodeid"].endswith("test_waits_to_be_cancelled")


@pytest.mark.slow
@linux_only
def test_an_app_dies_with_a_runner_killed_outright(tmp_path):
    # SIGKILL cannot be handled: the kernel's parent-death signal stops the app.
    proc, ready, _ = start_inner_run(tmp_path, "sleep 300")
    app_pid = int(ready.read_text())
    try:
        assert live_members(app_pid) == [app_pid]
        proc.kill()
        proc.communicate(timeout=30)
        alive = wait_until(lambda: not live_members(app_pid), 10)
    finally:
        for pid in live_members(app_pid):
            os.kill(pid, signal.SIGKILL)
    assert alive, f"pid {app_pid} outlived the pytest process that launched it"


@linux_only
def test_terminate_stops_a_wrappers_children_too():
    target = LocalTarget(stop_timeout=3)
    app = target.launch(AppSpec(command=["sh", "-c", "sleep 300 & sleep 301 & wait"]))
    try:
        assert wait_until(lambda: len(live_members(app.pid)) == 3, 10)
        target.terminate(app)
        left = live_members(app.pid)
    finally:
        for pid in live_members(app.pid):
            os.kill(pid, signal.SIGKILL)
    assert left == []


@linux_only
def test_terminate_is_bounded_when_a_child_ignores_sigterm():
    target = LocalTarget(stop_timeout=0.5)
    app = target.launch(AppSpec(command=["sh", "-c", "trap '' TERM; sleep 300 & wait"]))
    try:
        assert wait_until(lambda: len(live_members(app.pid)) == 2, 10)
        target.terminate(app)  # SIGTERM ignored by both: SIGKILL after the stop timeout
        left = live_members(app.pid)
    finally:
        for pid in live_members(app.pid):
            os.kill(pid, signal.SIGKILL)
    assert left == []


HANDLERS_PUT_BACK = """
import os, signal, time
from pytest_iosmem import shutdown

before = {s: signal.getsignal(s) for s in shutdown.SIGNALS}
assert shutdown.install()
for sig in shutdown.SIGNALS:
    try:
        os.kill(os.getpid(), sig)
        time.sleep(5)  # the handler raises at the next bytecode; sleep is interrupted
        raise SystemExit(f"{sig!r} did not interrupt")
    except KeyboardInterrupt:
        pass
    shutdown.exit_status_set()  # what the plugin's sessionfinish does: else the process ends by the signal
    shutdown.uninstall()  # each signal, then a fresh install: the first signal of a run
    assert {s: signal.getsignal(s) for s in shutdown.SIGNALS} == before
    assert shutdown.install()
shutdown.uninstall()
print("ok")
"""


def test_signal_handlers_are_put_back_at_the_end():
    # in a process of its own: this pytest run has the plugin's handlers installed
    out = subprocess.run([sys.executable, "-c", HANDLERS_PUT_BACK], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]


SIM_CONFTEST = """
import pytest_iosmem.targets.simulator as sim
from pytest_iosmem.targets.base import Reading

# Stands for libproc (there is none on Linux): the footprint of the simulator app's host pid.
sim.read_host_footprint = lambda pid: Reading(50_000_000)
"""

SIM_TEST = """
import os, time

def test_waits_to_be_cancelled(iosmem):
    iosmem.target.wda_url(iosmem.app, 30)  # starts WebDriverAgent: xcodebuild test-without-building
    with open(os.environ["IOSMEM_TEST_READY"] + ".tmp", "w") as fh:
        fh.write(str(iosmem.target.wda.process.pid))
    os.replace(os.environ["IOSMEM_TEST_READY"] + ".tmp", os.environ["IOSMEM_TEST_READY"])
    time.sleep(120)
"""


@pytest.mark.slow
@linux_only
def test_sigterm_stops_webdriveragents_xcodebuild_on_the_simulator_target(tmp_path):
    """The simulator target against the stand-in xcrun/xcodebuild (tests/fakes) on PATH."""
    data = Path(__file__).parent / "data"
    app = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # the simulator app's host process
    (tmp_path / "conftest.py").write_text(SIM_CONFTEST)
    (tmp_path / "test_cancel.py").write_text(SIM_TEST)
    xctestrun = tmp_path / "WDA.xctestrun"
    xctestrun.write_text("<plist/>")
    ready, report = tmp_path / "xcodebuild.pid", tmp_path / "report.json"
    env = {**os.environ, "PATH": fakes_path(), "IOSMEM_TEST_READY": str(ready),
           "FAKE_XCRUN_LIST": str(data / "simctl_list_xcode16.json"), "FAKE_XCRUN_PID": str(app.pid),
           "FAKE_XCRUN_LAUNCHCTL": str(data / "simctl_spawn_launchctl_list_1.txt"),
           "FAKE_WDA_URL": "http://127.0.0.1:8100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", *INNER, "-q", "test_cancel.py",
         "--iosmem-target=simulator", "--iosmem-app=com.example.app",
         "--iosmem-simulator-udid=218E4ECD-F530-413F-9A8F-65951D3C4DBF",
         f"--iosmem-simulator-xctestrun={xctestrun}", f"--iosmem-json={report}",
         f"--iosmem-artifacts={tmp_path / 'artifacts'}", "--iosmem-settle-timeout=0.5"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        if not wait_until(ready.exists, 60):
            proc.kill()
            pytest.fail("the inner test never started:\n" + proc.communicate()[0][-3000:])
        xcodebuild = int(ready.read_text())
        assert live_members(os.getpgid(xcodebuild)) != []
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=60)[0]
        gone = wait_until(lambda: not live_members(xcodebuild), 10)  # WDA runs in its own session: pgid == pid
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in live_members(xcodebuild) if ready.exists() else []:
            os.kill(pid, signal.SIGKILL)
        app.kill()
        app.wait()
    assert gone, f"xcodebuild (WebDriverAgent) outlived the cancelled run\n{out[-3000:]}"
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out[-3000:]
    assert json.loads(report.read_text())["interrupted"] is True


LATE_SIGNAL = """
import os, signal, time
from pytest_iosmem import shutdown

assert shutdown.install()
with shutdown.finishing(["r.json"]):
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.2)  # waits: the files are being written
    shutdown.written("r.json")
print("written", flush=True)
shutdown.uninstall()  # too late for pytest's exit status: the process ends by the signal
print("not reached", flush=True)
"""


def test_a_signal_during_the_writes_waits_and_then_ends_the_process_by_it():
    out = subprocess.run([sys.executable, "-c", LATE_SIGNAL], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["written"], out.stderr[-2000:]
    assert out.returncode == -signal.SIGTERM
