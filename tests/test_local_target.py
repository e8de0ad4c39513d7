"""The local target on real processes of this host (Linux /proc; macOS libproc)."""

import os
import signal
import sys
import time

import pytest

from pytest_iosmem.errors import ReadFailed, TargetError
from pytest_iosmem.targets.base import AppSpec, Target
from pytest_iosmem.targets.local import LocalTarget, describe_returncode
from pytest_iosmem.targets.procfs import parse_status

from .helpers import MEMAPP, signal_and_wait, wait_for_handler

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")

MB = 1024 * 1024


def memapp(*args):
    return AppSpec(command=[sys.executable, str(MEMAPP), *args])


@pytest.fixture
def target():
    return LocalTarget()


def test_is_a_target(target):
    assert isinstance(target, Target)
    p = target.profile()
    assert p.kind == "local" and p.key.startswith("local-")


def test_parse_status_sums_anon_shmem_and_swap():
    text = b"Name:\tx\nVmRSS:\t  9000 kB\nRssAnon:\t  1000 kB\nRssFile:\t 8000 kB\nRssShmem:\t  24 kB\nVmSwap:\t 100 kB\n"
    assert parse_status(text) == (1000 + 24 + 100) * 1024
    with pytest.raises(ReadFailed, match="exited"):
        parse_status(b"Name:\tzombie\nState:\tZ (zombie)\n")


@linux_only
def test_footprint_follows_real_allocations(target):
    app = target.launch(memapp("--leak", str(8 * MB)))
    try:
        wait_for_handler(app.pid)
        before = target.read(app).footprint
        for _ in range(3):
            signal_and_wait(app.pid, signal.SIGUSR2, lambda: target.read(app).footprint, grows_by=7 * MB)
        after = target.read(app).footprint
        assert after - before == pytest.approx(24 * MB, rel=0.1)
    finally:
        target.terminate(app)


@linux_only
def test_memory_warning_is_the_configured_signal(target):
    app = target.launch(memapp("--cache", str(20 * MB)))
    try:
        wait_for_handler(app.pid, signal.SIGUSR1)
        before = target.read(app).footprint
        target.memory_warning(app)
        time.sleep(0.3)
        assert before - target.read(app).footprint == pytest.approx(20 * MB, rel=0.1)
    finally:
        target.terminate(app)


@linux_only
def test_jetsam_like_limit_kills_and_says_so():
    target = LocalTarget(jetsam_limit=30 * MB)
    app = target.launch(memapp("--leak", str(16 * MB)))
    try:
        wait_for_handler(app.pid)
        signal_and_wait(app.pid, signal.SIGUSR2, lambda: target.read(app).footprint, grows_by=15 * MB)
        os.kill(app.pid, signal.SIGUSR2)
        deadline = time.monotonic() + 5
        while target.poll_termination(app) is None and time.monotonic() < deadline:
            try:
                target.read(app)
            except ReadFailed:
                pass
            time.sleep(0.02)
        term = target.poll_termination(app)
        assert term is not None and term.reason == "jetsam"
        assert term.detail == "jetsam: per-process-limit"
        assert term.signal == signal.SIGKILL
        assert term.last_footprint > 30 * MB
        assert [e.kind for e in target.drain_events(app)] == ["jetsam_kill"]
    finally:
        target.terminate(app)


def test_termination_reasons():
    assert describe_returncode(3).detail == "exited with code 3"
    crash = describe_returncode(-signal.SIGSEGV)
    assert crash.reason == "crash" and "SIGSEGV" in crash.detail
    assert describe_returncode(-signal.SIGTERM).reason == "signal"


@linux_only
def test_crash_is_reported_as_a_crash(target):
    app = target.launch(memapp("--crash-after", "1"))
    wait_for_handler(app.pid)
    os.kill(app.pid, signal.SIGUSR2)
    deadline = time.monotonic() + 5
    while target.poll_termination(app) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert target.poll_termination(app).reason == "crash"
    with pytest.raises(ReadFailed):
        target.read(app)


def test_terminate_is_bounded_for_an_app_that_ignores_sigterm():
    target = LocalTarget(stop_timeout=0.3)
    code = "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    app = target.launch(AppSpec(command=[sys.executable, "-c", code]))
    time.sleep(0.3)
    start = time.monotonic()
    term = target.terminate(app)
    assert time.monotonic() - start < 3
    assert term.signal == signal.SIGKILL


def test_wda_url_is_learnt_from_the_output_or_the_error_names_the_command():
    target = LocalTarget()
    code = "import time; print('ServerURLHere->http://127.0.0.1:1234<-ServerURLHere', flush=True); time.sleep(30)"
    app = target.launch(AppSpec(command=[sys.executable, "-c", code]))
    try:
        assert target.wda_url(app, timeout=5) == "http://127.0.0.1:1234"
    finally:
        target.terminate(app)
    silent = target.launch(AppSpec(command=[sys.executable, "-c", "print('hello'); import sys; sys.exit(4)"]))
    with pytest.raises(TargetError) as info:
        target.wda_url(silent, timeout=5)
    assert "exited with code 4" in str(info.value) and "hello" in str(info.value) and "-c" in str(info.value)


def test_unknown_command_is_a_clear_error(target):
    with pytest.raises(TargetError, match="cannot start the app 'no-such-binary-xyz'"):
        target.launch(AppSpec(command=["no-such-binary-xyz"]))


@linux_only
def test_attach_never_terminates_the_process(target):
    proc = __import__("subprocess").Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        app = target.attach(proc.pid)
        assert target.read(app).footprint > 0
        target.terminate(app)
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
    with pytest.raises(TargetError, match="no such process"):
        target.attach(proc.pid)
