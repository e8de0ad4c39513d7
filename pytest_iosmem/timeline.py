"""What happened to the app's memory during one test, in a serialisable form.

A :class:`Timeline` holds footprint samples, marks (a label at a moment),
phases (a named span), iteration ends with their settled footprint, and
events (memory warning sent, app terminated, read failed).  Times are
seconds since the timeline started (monotonic clock), so two timelines can be
drawn on the same axis.  It is written from the sampler thread and the test
thread at once, hence the lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Sample", "Mark", "Phase", "IterationEnd", "Event", "Timeline", "EventKind"]


class EventKind:
    """Event kinds as plain strings (they end up in JSON reports)."""

    MEMORY_WARNING = "memory_warning"
    TERMINATED = "terminated"
    READ_FAILED = "read_failed"
    READ_RECOVERED = "read_recovered"
    NOTE = "note"


@dataclass(frozen=True)
class Sample:
    t: float
    footprint: int


@dataclass(frozen=True)
class Mark:
    t: float
    label: str


@dataclass
class Phase:
    name: str
    start: float
    end: float | None = None


@dataclass(frozen=True)
class IterationEnd:
    index: int
    t: float
    footprint: int
    warmup: bool
    settled: bool
    settle_seconds: float


@dataclass(frozen=True)
class Event:
    t: float
    kind: str
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class Timeline:
    """Samples, marks, phases, iteration ends and events of one test."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._t0 = clock()
        self._lock = threading.Lock()
        self.samples: list[Sample] = []
        self.marks: list[Mark] = []
        self.phases: list[Phase] = []
        self.iterations: list[IterationEnd] = []
        self.events: list[Event] = []
        #: highest footprint the target itself saw (e.g. lifetime max from
        #: libproc), which can be above every sample we took.
        self.reported_peak: int | None = None
        #: that lifetime maximum at the test's first read: what the process
        #: reached before this test (an earlier test, with a shared app)
        self.reported_peak_at_start: int | None = None
        #: settled footprint when the test finished (set by the fixture)
        self.end_footprint: int | None = None
        #: measured iterations planned by ``iterations()`` calls, and the bound they could extend to
        #: ({"planned": n, "max": m}); None when the test ran no iteration loop
        self.plan: dict[str, int] | None = None

    # -- recording -------------------------------------------------------
    def now(self) -> float:
        return self._clock() - self._t0

    def add_sample(self, footprint: int, t: float | None = None) -> Sample:
        s = Sample(self.now() if t is None else t, int(footprint))
        with self._lock:
            self.samples.append(s)
        return s

    def note_peak(self, peak: int | None) -> None:
        if peak is None:
            return
        with self._lock:
            if self.reported_peak_at_start is None:
                self.reported_peak_at_start = int(peak)
            if self.reported_peak is None or peak > self.reported_peak:
                self.reported_peak = int(peak)

    def add_mark(self, label: str) -> Mark:
        m = Mark(self.now(), str(label))
        with self._lock:
            self.marks.append(m)
        return m

    def open_phase(self, name: str) -> Phase:
        p = Phase(str(name), self.now())
        with self._lock:
            self.phases.append(p)
        return p

    def close_phase(self, phase: Phase) -> None:
        phase.end = self.now()

    def add_iteration(self, it: IterationEnd) -> None:
        with self._lock:
            self.iterations.append(it)

    def add_event(self, kind: str, detail: str = "", at: float | None = None, **data: Any) -> Event:
        e = Event(self.now() if at is None else at, kind, detail, dict(data))
        with self._lock:
            self.events.append(e)
        return e

    # -- reading ---------------------------------------------------------
    def footprints(self) -> list[int]:
        with self._lock:
            return [s.footprint for s in self.samples]

    @property
    def peak(self) -> int | None:
        """This test's peak: the highest sample, or the OS's lifetime maximum if it rose during the test.

        The OS's number (``ri_lifetime_max_phys_footprint`` on macOS and the
        simulator) covers the process's whole life.  When the app outlives a
        test (``--iosmem-relaunch=session``, ``--iosmem-pid``), its lifetime
        maximum may come from an earlier test; counting it would give this test
        someone else's peak (false peak/headroom failures, results that depend
        on test order, polluted baselines).  So the lifetime maximum counts
        only when it rose above its value at the test's first read: then the
        new maximum was reached during this test, possibly between two samples
        (a spike the sampler missed).  Otherwise the sampled maximum is the peak.
        """
        with self._lock:
            values = [s.footprint for s in self.samples]
            values += [i.footprint for i in self.iterations]
            if self.reported_peak is not None and (
                self.reported_peak_at_start is None or self.reported_peak > self.reported_peak_at_start
            ):
                values.append(self.reported_peak)
        return max(values) if values else None

    @property
    def last(self) -> int | None:
        with self._lock:
            return self.samples[-1].footprint if self.samples else None

    def events_of(self, kind: str) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e.kind == kind]

    # -- serialisation ----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "samples": [[round(s.t, 4), s.footprint] for s in self.samples],
                "marks": [asdict(m) for m in self.marks],
                "phases": [asdict(p) for p in self.phases],
                "iterations": [asdict(i) for i in self.iterations],
                "events": [asdict(e) for e in self.events],
                "reported_peak": self.reported_peak,
                "reported_peak_at_start": self.reported_peak_at_start,
                "end_footprint": self.end_footprint,
                "plan": None if self.plan is None else dict(self.plan),
            }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Timeline":
        tl = cls()
        tl.samples = [Sample(float(t), int(f)) for t, f in data.get("samples", [])]
        tl.marks = [Mark(**m) for m in data.get("marks", [])]
        tl.phases = [Phase(**p) for p in data.get("phases", [])]
        tl.iterations = [IterationEnd(**i) for i in data.get("iterations", [])]
        tl.events = [Event(**e) for e in data.get("events", [])]
        tl.reported_peak = data.get("reported_peak")
        tl.reported_peak_at_start = data.get("reported_peak_at_start")
        tl.end_footprint = data.get("end_footprint")
        tl.plan = data.get("plan")
        return tl
