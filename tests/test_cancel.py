"""Cancellation always lands: SIGINT, SIGTERM and SIGHUP stop a real run, whatever swallows them.

Real processes: an inner pytest run in a subprocess against the reference app
(a real WebDriverAgent-speaking process) driven by facebook-wda, real signals.
The inner test body sends the signal to its own pytest at a chosen moment, so
each case is deterministic; the random-moment trials are bench/cancel_trials.py.
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

from tests.test_shutdown import live_members, wait_until

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find process groups")

SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"]


def inner_run(tmp_path: Path, body: str, *args: str, conftest: str = "", timeout: float = 90):
    (tmp_path / "test_inner.py").write_text(body)
    if conftest:
        (tmp_path / "conftest.py").write_text(conftest)
    report = tmp_path / "report.json"
    env = {**os.environ, "IOSMEM_TEST_PIDS": str(tmp_path / "pids")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_inner.py", f"--iosmem-json={report}",
         f"--iosmem-baselines={tmp_path / 'baselines'}", "--iosmem-settle-timeout=0.5", *args],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
    )
    return proc, report


def app_pids(tmp_path: Path) -> list[int]:
    f = tmp_path / "pids"
    return [int(x) for x in f.read_text().split()] if f.exists() else []


def assert_nothing_left(tmp_path: Path, out: str) -> None:
    left = [pid for pgid in app_pids(tmp_path) for pid in live_members(pgid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"still running: {left}\n{out[-3000:]}"
    tmps = [p for p in tmp_path.rglob("*.tmp")]
    assert tmps == [], tmps


SWALLOWED = """
import os, signal, time

def test_taps(wda_session, iosmem):
    with open(os.environ["IOSMEM_TEST_PIDS"], "a") as fh:
        fh.write(f"{iosmem.app.pid}\\n")
    wda_session.tap(10, 10)
    try:  # what facebook-wda's Session.tap does: a bare except around a request
        os.kill(os.getpid(), signal.{sig})
        time.sleep(5)
    except:  # noqa: E722
        pass
    wda_session.tap(10, 10)  # the next WebDriverAgent request is a checkpoint
    open("went-on", "w").close()
    time.sleep(30)
"""


@linux_only
@pytest.mark.parametrize("sig", SIGNALS)
@pytest.mark.slow
def test_a_signal_swallowed_by_a_bare_except_still_stops_the_run(tmp_path, sig):
    proc, report = inner_run(tmp_path, SWALLOWED.replace("{sig}", sig))
    out = proc.stdout
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out[-3000:]
    assert not (tmp_path / "went-on").exists(), "the test went on after a swallowed signal"
    doc = json.loads(report.read_text())
    assert doc["interrupted"] is True
    assert [t["outcome"] for t in doc["tests"]] == ["interrupted"]
    assert_nothing_left(tmp_path, out)


SWALLOWED_IN_ITERATIONS = """
import os, signal, time

def test_loop(iosmem):
    with open(os.environ["IOSMEM_TEST_PIDS"], "a") as fh:
        fh.write(f"{iosmem.app.pid}\\n")
    for i in iosmem.iterations(50, warmup=0):
        if i == 1:
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
            except BaseException:
                pass
        if i == 3:
            open("went-on", "w").close()
"""


@linux_only
@pytest.mark.slow
def test_the_iteration_loop_is_a_checkpoint(tmp_path):
    proc, report = inner_run(tmp_path, SWALLOWED_IN_ITERATIONS)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, proc.stdout[-3000:]
    assert not (tmp_path / "went-on").exists()
    assert json.loads(report.read_text())["interrupted"] is True
    assert_nothing_left(tmp_path, proc.stdout)


WAITS = """
import os, signal, time

def test_waits(iosmem):
    with open(os.environ["IOSMEM_TEST_PIDS"], "a") as fh:
        fh.write(f"{iosmem.app.pid}\\n")
    os.kill(os.getppid() if os.environ.get("IOSMEM_SIGNAL_PARENT") else os.getpid(), signal.{sig})
    time.sleep(30)
"""


@linux_only
@pytest.mark.parametrize("sig", SIGNALS)
@pytest.mark.slow
def test_each_signal_interrupts_and_writes_an_interrupted_report(tmp_path, sig):
    # SIGHUP (a closed terminal, some CI runners) killed pytest outright with no report
    proc, report = inner_run(tmp_path, WAITS.replace("{sig}", sig))
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, proc.stdout[-3000:]
    assert json.loads(report.read_text())["interrupted"] is True
    assert_nothing_left(tmp_path, proc.stdout)


SLOW_WRITE = """
import os, signal, time
import pytest_iosmem.reports.json_report as json_report

_write = json_report.write


sent = []


def slow_write(document, path):
    # stands for a slow disk: the signal(s) arrive while the (first) report write is under way
    while len(sent) < int(os.environ["IOSMEM_SIGNALS"]):
        sent.append(1)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.3)
    _write(document, path)


json_report.write = slow_write
"""

PASSES = """
import os

def test_fine(iosmem):
    with open(os.environ["IOSMEM_TEST_PIDS"], "a") as fh:
        fh.write(f"{iosmem.app.pid}\\n")
"""


@linux_only
@pytest.mark.slow
def test_a_signal_during_the_end_of_run_writes_waits_for_them(tmp_path, monkeypatch):
    monkeypatch.setenv("IOSMEM_SIGNALS", "1")
    proc, report = inner_run(tmp_path, PASSES, "--iosmem-update-baselines", conftest=SLOW_WRITE)
    out = proc.stdout
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out[-3000:]
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out[-3000:]
    doc = json.loads(report.read_text())  # written although the signal came during its write
    assert doc["interrupted"] is True
    assert list((tmp_path / "baselines").rglob("*.json")), "the baselines were not written"
    assert "interrupted by SIGTERM" in out
    assert_nothing_left(tmp_path, out)


@linux_only
@pytest.mark.slow
def test_a_second_signal_ends_at_once_naming_what_was_not_written(tmp_path, monkeypatch):
    monkeypatch.setenv("IOSMEM_SIGNALS", "2")
    proc, report = inner_run(tmp_path, PASSES, conftest=SLOW_WRITE)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stdout[-3000:]
    assert f"second SIGTERM: stopping at once; not written: {report}" in proc.stdout
    assert not report.exists()


XDIST_WAITS = """
import os, time

def test_waits(iosmem):
    with open(os.environ["IOSMEM_TEST_PIDS"], "a") as fh:
        fh.write(f"{iosmem.app.pid}\\n")
    open("started", "w").close()
    time.sleep(60)
"""


@linux_only
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
@pytest.mark.slow
def test_an_xdist_controller_handles_signals_before_any_result(tmp_path, sig):
    # the controller installed its handler only when the first result arrived: killed outright before
    (tmp_path / "test_inner.py").write_text(XDIST_WAITS)
    report = tmp_path / "report.json"
    env = {**os.environ, "IOSMEM_TEST_PIDS": str(tmp_path / "pids")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "1", "test_inner.py",
         f"--iosmem-json={report}", "--iosmem-settle-timeout=0.5"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert wait_until((tmp_path / "started").exists, 60)
        proc.send_signal(getattr(signal, sig))
        out = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out[-3000:]
    assert json.loads(report.read_text())["interrupted"] is True
    time.sleep(0.5)
    assert_nothing_left(tmp_path, out)


FROZEN = """
import os, signal

def test_frozen(wda_session, iosmem):
    with open(os.environ["IOSMEM_TEST_PIDS"], "a") as fh:
        fh.write(f"{iosmem.app.pid}\\n")
    wda_session.tap(10, 10)
    os.kill(iosmem.app.pid, signal.SIGSTOP)  # a frozen app: a debugger, a hung main thread
    wda_session.tap(10, 10)
"""


@linux_only
@pytest.mark.slow
def test_a_frozen_app_fails_within_the_wda_timeout_naming_the_stopped_state(tmp_path):
    # facebook-wda waited 180 s in the body and 180 s more for session.close() at teardown
    started = time.monotonic()
    proc, report = inner_run(tmp_path, FROZEN, "--iosmem-wda-timeout=3", timeout=300)
    took = time.monotonic() - started
    out = proc.stdout
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, out[-3000:]
    assert "is stopped (state T" in out, out[-3000:]
    assert took < 3 + 15, f"{took:.0f}s for a frozen app with --iosmem-wda-timeout=3"
    assert_nothing_left(tmp_path, out)


EARLY = """
import os, signal, time
import pytest


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    # the signal arrives while pytest is starting: pytest writes no report for a run interrupted here
    os.kill(os.getpid(), signal.{sig})
    time.sleep(0.3)
"""


@linux_only
@pytest.mark.parametrize("sig", SIGNALS)
@pytest.mark.slow
def test_a_signal_while_pytest_starts_still_ends_with_an_interrupted_report(tmp_path, sig):
    proc, report = inner_run(tmp_path, PASSES, conftest=EARLY.replace("{sig}", sig))
    out = proc.stdout
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out[-3000:]
    assert json.loads(report.read_text())["interrupted"] is True
    assert "Traceback" not in out


DIES = """
import os, signal, time

def test_dies(wda_session, iosmem):
    with open(os.environ["IOSMEM_TEST_PIDS"], "a") as fh:
        fh.write(f"{iosmem.app.pid}\\n")
    wda_session.tap(10, 10)
    os.kill(iosmem.app.pid, signal.SIGKILL)
    time.sleep(0.5)
"""


@linux_only
@pytest.mark.slow
def test_no_session_close_on_a_dead_app(tmp_path):
    conftest = '''
import wda

def pytest_configure(config):
    # records the DELETE /session facebook-wda's close() sends (the real method runs after)
    close = wda.Client.close

    def recorded(self):
        open("closed", "w").close()
        return close(self)

    wda.Client.close = recorded
'''
    proc, report = inner_run(tmp_path, DIES, "--iosmem-wda-timeout=3", conftest=conftest)
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout[-3000:]
    assert "terminated" in proc.stdout
    assert not (tmp_path / "closed").exists()
    assert_nothing_left(tmp_path, proc.stdout)
