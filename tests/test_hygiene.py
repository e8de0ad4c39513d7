"""Small faults of process hygiene, each on real processes: fds, memory warnings, artifacts, error chains."""

from __future__ import annotations

import os
import sys
import time

import pytest

from pytest_iosmem.errors import NotSupported
from pytest_iosmem.targets.base import AppSpec
from pytest_iosmem.targets.local import LocalTarget

from .helpers import INNER, inner_conftest, memapp_command

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def open_fds_to(path_part: str) -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if path_part in os.readlink(f"/proc/self/fd/{fd}"):
                count += 1
        except OSError:
            pass
    return count


@linux_only
def test_releasing_an_attached_app_closes_its_proc_file_and_never_stops_it():
    other = LocalTarget().launch(AppSpec(command=[sys.executable, "-c", "import time; time.sleep(60)"]))
    try:
        target = LocalTarget()
        app = target.attach(other.pid)
        target.read(app)
        assert open_fds_to(f"/proc/{other.pid}/status") == 1
        target.terminate(app)  # what the run does at the end for an attached (session) app
        assert open_fds_to(f"/proc/{other.pid}/status") == 0
        assert other.handle.proc.poll() is None  # still running
    finally:
        LocalTarget().terminate(other)


@linux_only
def test_a_launched_apps_output_pipe_is_closed_when_it_stops():
    target = LocalTarget()
    app = target.launch(AppSpec(command=[sys.executable, "-c", "print('hi', flush=True); import time; time.sleep(60)"]))
    target.terminate(app)
    assert app.handle.proc.stdout.closed


@pytest.mark.slow
@linux_only
def test_a_memory_warning_waits_for_the_apps_handler_instead_of_killing_it():
    code = ("import signal, time; time.sleep(1.0); "
            "signal.signal(signal.SIGUSR1, lambda *a: print('warned', flush=True)); time.sleep(60)")
    target = LocalTarget()
    app = target.launch(AppSpec(command=[sys.executable, "-c", code]))
    try:
        target.memory_warning(app)  # sent right after launch, before the handler exists
        time.sleep(0.2)
        assert target.poll_termination(app) is None, "the warning killed the app"
    finally:
        target.terminate(app)


@linux_only
def test_an_app_without_a_handler_is_not_sent_a_killing_warning():
    target = LocalTarget()
    target.handler_timeout = 0.5
    app = target.launch(AppSpec(command=[sys.executable, "-c", "import time; time.sleep(60)"]))
    try:
        with pytest.raises(NotSupported, match="no handler for SIGUSR1 after 0.5s: sending it would kill the app"):
            target.memory_warning(app)
        assert target.poll_termination(app) is None
    finally:
        target.terminate(app)


def test_an_artifact_write_error_is_a_note_and_nothing_is_saved_on_interrupt():
    from pytest_iosmem.verdict.checks import analyse
    from pytest_iosmem.conclude import failure_artifacts as _failure_artifacts
    from pytest_iosmem.verdict.policy import Policy
    from pytest_iosmem.timeline import Timeline

    class DiskFull:
        """Stands for a target whose memgraph write fails (FailureArtifacts seam): the disk is full."""

        calls = 0

        def failure_artifacts(self, app, label):
            self.calls += 1
            raise OSError(28, "No space left on device")

    tl = Timeline()
    for v in (100, 900, 100):
        tl.add_sample(v * 1_000_000)
    verdict = analyse(tl, Policy(max_peak=200_000_000, max_growth=None, leak_per_iteration=None))
    assert verdict.findings
    target = DiskFull()
    assert _failure_artifacts(target, None, "t", verdict) == []
    assert any("No space left on device" in n for n in verdict.notes)
    assert _failure_artifacts(target, None, "t", verdict, interrupted=True) == []
    assert target.calls == 1  # not called at all when the run was interrupted
    assert "no artifact saved: the run was interrupted" in verdict.notes


CHAIN_TEST = """
import os, signal, time

def test_app_dies_mid_call(iosmem):
    os.kill(iosmem.app.pid, signal.SIGKILL)
    time.sleep(0.3)
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError:
            raise ConnectionRefusedError(111, "Connection refused")
    except ConnectionRefusedError as exc:
        raise RuntimeError("HTTPConnectionPool(host='127.0.0.1'): Max retries exceeded") from exc
"""


def test_a_dead_app_mid_call_is_one_useful_message_not_an_exception_chain(pytester):
    pytester.makeconftest(inner_conftest())
    pytester.makepyfile(test_chain=CHAIN_TEST)
    result = pytester.runpytest(*INNER, "--iosmem-interval=0.01",
                                "--iosmem-app=" + memapp_command())
    out = result.stdout.str()
    result.assert_outcomes(failed=1)
    assert "terminated: the app died (killed by SIGKILL)" in out
    assert "the test stopped on: RuntimeError: HTTPConnectionPool" in out
    assert "During handling of the above exception" not in out and "direct cause" not in out
    assert "Connection refused" not in out
