"""Background footprint sampling for one test.

One daemon thread reads the target at a fixed interval and appends to the
test's Timeline.  It must never hang or crash a test run:

- a failed read becomes a ``read_failed`` event (one per gap, with a
  ``read_recovered`` event when reads work again), never an exception;
- a dead app becomes a ``terminated`` event and ends sampling;
- ``stop()`` is bounded in time: the thread is a daemon and is joined with a
  timeout, so a target read stuck in a syscall cannot hold the run;
- a read the test thread asks for (:meth:`Sampler.sample_bounded`: settle,
  ``footprint()``, the end of the test) runs in a helper daemon thread that
  the caller waits for at most ``timeout``: a read stuck in a syscall stays
  stuck there, the test goes on and says so (a ``read_failed`` event).  Reads
  are still one at a time (targets need not be thread-safe), and waiting for
  the lock is bounded too.

The default interval (40 ms) puts five samples inside a 200 ms spike and
costs about half a percent of one core (bench/sampler_rate.py).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from .errors import ReadFailed
from .targets.base import App, Target, Termination
from .timeline import EventKind, Timeline

__all__ = ["Sampler", "SamplerStats", "DEFAULT_INTERVAL"]

DEFAULT_INTERVAL = 0.04
#: The longest a caller waits for one read (a device over Wi-Fi answers in well under a second).
DEFAULT_READ_TIMEOUT = 5.0
_STOP_LATENCY = 0.05  # longest sleep between checks of the stop flag


@dataclass
class SamplerStats:
    reads: int = 0
    failed_reads: int = 0
    gaps: int = 0
    errors: int = 0  # unexpected exceptions from a target (bugs), kept as events
    repeats: int = 0  # reads that returned a streamed value already recorded (Reading.sequence)


class Sampler:
    """Reads ``target.read(app)`` every ``interval`` seconds into ``timeline``."""

    def __init__(self, target: Target, app: App, timeline: Timeline, interval: float = DEFAULT_INTERVAL,
                 read_timeout: float = DEFAULT_READ_TIMEOUT) -> None:
        if interval <= 0:
            raise ValueError("sampling interval must be positive")
        self.target = target
        self.app = app
        self.timeline = timeline
        self.interval = interval
        self.stats = SamplerStats()
        self.termination: Termination | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._in_gap = False
        self._lock = threading.Lock()
        self.read_timeout = read_timeout
        self.hung_reads = 0  # reads a caller stopped waiting for
        self._last_sequence: int | None = None

    # -- control -------------------------------------------------------------
    def start(self) -> "Sampler":
        self.sample_bounded(self.read_timeout)
        self._thread = threading.Thread(target=self._run, name=f"iosmem-sampler-{self.app.pid}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop sampling; returns False if the thread did not end in ``timeout``."""
        self._stop.set()
        t = self._thread
        if t is None or t is threading.current_thread():
            return True
        t.join(timeout)
        return not t.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    # -- work ----------------------------------------------------------------
    def _run(self) -> None:
        # time.sleep in short slices rather than Event.wait: on virtual machines a
        # timed Condition wait costs about twice the CPU of a sleep per wake-up,
        # and at 50 wake-ups a second that is the sampler's main cost.
        next_at = time.monotonic()
        while not self._stop.is_set():
            next_at += self.interval
            if not self.sample_once():
                return
            while not self._stop.is_set():
                delay = next_at - time.monotonic()
                if delay <= 0:
                    if delay < -self.interval:  # fell behind (slow read): do not catch up in a burst
                        next_at = time.monotonic()
                    break
                time.sleep(min(delay, _STOP_LATENCY))

    def sample_bounded(self, timeout: float | None = None) -> bool | None:
        """Take one sample now, waiting at most ``timeout`` (default ``read_timeout``) for it.

        True: a sample was taken (or the read failed and the app still runs);
        False: the app is gone; None: no answer in time (a hung read, recorded
        as a ``read_failed`` event).  The read runs in a daemon thread, so a
        read stuck in a syscall never blocks the caller (the test thread).
        """
        if self.termination is not None:
            return False
        timeout = self.read_timeout if timeout is None else max(0.0, timeout)
        done = threading.Event()
        answer: list[bool | None] = []

        def work() -> None:
            answer.append(self.sample_once(lock_timeout=timeout, discard_after_stop=True))
            done.set()

        threading.Thread(target=work, name=f"iosmem-read-{self.app.pid}", daemon=True).start()
        if done.wait(timeout) and answer[0] is not None:
            return answer[0]
        self.hung_reads += 1
        if self.hung_reads == 1:  # one event per sampler: a hung target would otherwise add one per read
            self.timeline.add_event(EventKind.READ_FAILED, f"a footprint read gave no answer within {timeout:g}s")
        return None

    def sample_once(self, lock_timeout: float | None = None, discard_after_stop: bool = False) -> bool | None:
        """Take one sample now, in this thread. Returns False once the app is gone.

        Used by the sampler thread, and (through :meth:`sample_bounded`) by the
        test thread, so it is safe to call from two threads; ``lock_timeout``
        bounds the wait for a read in progress elsewhere (None when it ran
        out: no answer, the app is not known to be dead).  ``discard_after_stop``: a read that
        answers after :meth:`stop` is dropped (the timeline is being judged).
        """
        if not self._lock.acquire(timeout=-1 if lock_timeout is None else lock_timeout):
            return None
        try:
            if self.termination is not None:
                return False
            try:
                reading = self.target.read(self.app)
            except ReadFailed as exc:
                self.stats.failed_reads += 1
                return self._on_failed_read(str(exc))
            except Exception as exc:  # a target bug (a PermissionError not wrapped) must not kill the test run
                self.stats.errors += 1
                # one read_failed event per gap whatever the error type (905 of them in 20 s, before)
                return self._on_failed_read(f"unexpected {type(exc).__name__}: {exc}")
            if discard_after_stop and self._stop.is_set():
                return True
            if reading.sequence is not None:
                if reading.sequence == self._last_sequence:
                    self.stats.repeats += 1
                    return True  # the stream's last value again: not a new measurement
                self._last_sequence = reading.sequence
            self.stats.reads += 1
            self.timeline.add_sample(reading.footprint)
            self.timeline.note_peak(reading.peak)
            if self._in_gap:
                self._in_gap = False
                self.timeline.add_event(EventKind.READ_RECOVERED, "footprint reads work again")
            # A target may act inside read() (the local jetsam-like kill) or learn
            # things on its own (device notifications): the next read sees the death.
            self._drain_target_events()
            return True
        finally:
            self._lock.release()

    def _on_failed_read(self, why: str, record: bool = True) -> bool:
        if not self._check_alive():
            return False
        if not self._in_gap:
            self._in_gap = True
            self.stats.gaps += 1
            if record:
                self.timeline.add_event(EventKind.READ_FAILED, why)
        return True

    def _check_alive(self) -> bool:
        try:
            term = self.target.poll_termination(self.app)
        except Exception as exc:  # pragma: no cover - defensive
            self.timeline.add_event(EventKind.READ_FAILED, f"cannot tell if the app runs: {exc}")
            return True
        if term is None:
            return True
        self._drain_target_events()
        self.termination = term
        data = {"reason": term.reason, "exit_code": term.exit_code, "signal": term.signal}
        if term.last_footprint is not None:
            data["last_footprint"] = term.last_footprint
        self.timeline.add_event(EventKind.TERMINATED, term.describe(), **data)
        return False

    def _drain_target_events(self) -> None:
        try:
            events = self.target.drain_events(self.app)
        except Exception as exc:  # pragma: no cover - defensive
            events = []
            self.timeline.add_event(EventKind.READ_FAILED, f"cannot read target events: {exc}")
        for e in events:
            self.timeline.add_event(e.kind, e.detail, **e.data)
