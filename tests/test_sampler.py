"""The sampler never hangs or crashes the run.

The targets here are stand-ins at the Target protocol seam (documented in
pytest_iosmem/targets/base.py); each says what real failure it stands for.
"""

import threading
import time

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


class HangingTarget(ScriptedTarget):
    """Stands for a read stuck in a syscall (an unresponsive device connection)."""

    def __init__(self):
        super().__init__([])
        self.release = threading.Event()
        self.calls = 0

    def read(self, app):
        self.calls += 1
        if self.calls > 1:
            self.release.wait(30)
        return Reading(1)


def test_stop_is_bounded_even_when_a_read_hangs():
    target = HangingTarget()
    s = Sampler(target, APP, Timeline(), interval=0.001).start()
    time.sleep(0.05)
    start = time.monotonic()
    assert s.stop(timeout=0.2) is False
    assert time.monotonic() - start < 1.0
    target.release.set()
