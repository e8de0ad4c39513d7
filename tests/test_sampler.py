"""The sampler never hangs or crashes the run.

The targets here are stand-ins at the Target protocol seam (documented in
pytest_iosmem/targets/base.py); each says what real failure it stands for.
"""

import threading
import time

import pytest

from pytest_iosmem.errors import ReadFailed
from pytest_iosmem.sampler import Sampler
from pytest_iosmem.targets.base import App, Reading, Termination
from pytest_iosmem.timeline import EventKind, Timeline


class ScriptedTarget:
    """Stands for a target whose reads fail now and then (a busy device, a sysmontap hiccup)."""

    kind = "scripted"
    capabilities = frozenset()

    def __init__(self, script):
        self.script = list(script)
        self.dead = None

    def read(self, app):
        step = self.script.pop(0) if self.script else "dead"
        if step == "fail":
            raise ReadFailed("transient read failure")
        if step == "dead":
            self.dead = Termination("signal", "killed by SIGKILL", signal=9, last_footprint=123)
            raise ReadFailed("gone")
        if step == "boom":
            raise RuntimeError("a bug in a target")
        return Reading(step)

    def poll_termination(self, app):
        return self.dead

    def drain_events(self, app):
        return []


APP = App(pid=1, name="x", target_kind="scripted")


def test_gaps_are_events_and_death_ends_sampling():
    target = ScriptedTarget([100, 200, "fail", "fail", 300, "boom", 400, "dead"])
    tl = Timeline()
    s = Sampler(target, APP, tl, interval=0.001).start()
    deadline = time.monotonic() + 5
    while s.termination is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert s.stop(timeout=1)
    assert tl.footprints() == [100, 200, 300, 400]
    kinds = [e.kind for e in tl.events]
    assert kinds == [
        EventKind.READ_FAILED,
        EventKind.READ_RECOVERED,
        EventKind.READ_FAILED,
        EventKind.READ_RECOVERED,
        EventKind.TERMINATED,
    ]
    assert "RuntimeError" in tl.events[2].detail
    assert tl.events[-1].data["last_footprint"] == 123
    assert s.stats.gaps == 2 and s.stats.errors == 1


class DeniedTarget(ScriptedTarget):
    """Stands for a /proc file that answers PermissionError (not wrapped as ReadFailed) on every read:
    a hardened kernel, or another user's process."""

    def read(self, app):
        step = self.script.pop(0) if self.script else 300
        if step == "denied":
            raise PermissionError(13, "Permission denied")
        return Reading(step)


def test_one_read_failed_event_per_gap_whatever_the_error_type():
    # 905 read_failed events in 20 s before: one per gap now, as for a plain read failure
    target = DeniedTarget([100] + ["denied"] * 50 + [200])
    tl = Timeline()
    s = Sampler(target, APP, tl, interval=0.001)
    for _ in range(60):
        s.sample_once()
    assert tl.footprints()[:2] == [100, 200]
    assert [e.kind for e in tl.events] == [EventKind.READ_FAILED, EventKind.READ_RECOVERED]
    assert "PermissionError" in tl.events[0].detail
    assert s.stats.errors == 50 and s.stats.gaps == 1


class HangingTarget(ScriptedTarget):
    """Stands for a read stuck in a syscall (a device connection that stops answering mid-test):
    the first read works, every later one blocks until the test releases it (no thread left behind)."""

    def __init__(self, footprint=1):
        super().__init__([])
        self.footprint = footprint
        self.release = threading.Event()
        self.calls = 0

    def read(self, app):
        self.calls += 1
        if self.calls > 1:
            self.release.wait(600)
        return Reading(self.footprint)


def test_stop_is_bounded_even_when_a_read_hangs():
    target = HangingTarget()
    s = Sampler(target, APP, Timeline(), interval=0.001).start()
    time.sleep(0.05)
    start = time.monotonic()
    assert s.stop(timeout=0.2) is False
    assert time.monotonic() - start < 1.0
    target.release.set()


def _in_thread(fn, bound: float = 120.0):
    """Run ``fn`` in a thread; return (finished, value). ``bound`` is generous: this is not a speed test."""
    out = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    t.start()
    t.join(bound)
    return (not t.is_alive()), (out[0] if out else None)


@pytest.mark.slow
def test_finish_returns_behind_a_hung_read():
    from pytest_iosmem.measure import IosMem
    from pytest_iosmem.verdict.policy import Policy
    from pytest_iosmem.settle import SettleConfig

    target = HangingTarget(1000)
    try:
        mem = IosMem(target, APP, Policy(), interval=0.001, settle=SettleConfig(max_wait=0.5))
        while target.calls < 2:  # the sampler thread is now stuck inside read()
            time.sleep(0.001)
        finished, _ = _in_thread(mem.finish)
        assert finished, "IosMem.finish() blocked behind a hung target read"
        assert any(e.kind == EventKind.READ_FAILED and "no answer" in e.detail for e in mem.timeline.events)
    finally:
        target.release.set()


@pytest.mark.slow
def test_footprint_and_settle_do_not_block_when_the_test_threads_own_read_hangs():
    from pytest_iosmem.measure import IosMem
    from pytest_iosmem.verdict.policy import Policy
    from pytest_iosmem.settle import SettleConfig

    target = HangingTarget(1000)
    try:
        mem = IosMem(target, APP, Policy(), interval=3600, settle=SettleConfig(max_wait=0.5))  # no background read
        mem.sampler.read_timeout = 0.5
        finished, value = _in_thread(mem.footprint)
        assert finished and value == 1000  # the last good sample, not a hang
        finished, result = _in_thread(mem.settle)
        assert finished and result.settled is False
    finally:
        target.release.set()


def test_settle_stops_as_soon_as_the_app_is_known_dead():
    from pytest_iosmem.measure import IosMem
    from pytest_iosmem.verdict.policy import Policy
    from pytest_iosmem.settle import SettleConfig

    target = ScriptedTarget([100])  # then "dead": the app was killed
    mem = IosMem(target, APP, Policy(), interval=3600, settle=SettleConfig(max_wait=60))
    finished, result = _in_thread(mem.settle)
    assert finished
    assert mem.termination is not None
    # Not 60 s of reads of a dead app: one read learnt the death and the wait ended.
    assert result.reads == 1 and result.settled is False and result.footprint is None
    mem.finish()
