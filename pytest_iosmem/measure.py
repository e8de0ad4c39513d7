"""The ``iosmem`` fixture object: what a test uses to drive and mark a measurement.

::

    def test_open_and_close_detail(wda_session, iosmem):
        for _ in iosmem.iterations(6, warmup=2):
            wda_session(label="Open detail").click()
            wda_session(label="Back").click()
        iosmem.memory_warning()

The object owns one Sampler and one Timeline per test.  It never judges: the
plugin calls :meth:`finish` after the test body and hands the timeline to
the pure analysis.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Callable, Iterator

from .baseline import Baseline
from .errors import NotSupported, TargetError
from .policy import Policy
from .sampler import Sampler
from .settle import SettleConfig, SettleResult, wait_settled
from .targets.base import App, ClassStat, Target, Termination
from .timeline import EventKind, IterationEnd, Timeline

if TYPE_CHECKING:
    from .stacks import Generation

__all__ = ["IosMem", "AppTerminated"]


class AppTerminated(Exception):
    """The app died while the test was measuring it (jetsam, crash, exit)."""

    def __init__(self, termination: Termination) -> None:
        super().__init__(f"the app died: {termination.describe()}")
        self.termination = termination


class IosMem:
    """Measurement of one test: iterations, marks, phases, memory warnings."""

    def __init__(
        self,
        target: Target,
        app: App,
        policy: Policy,
        *,
        interval: float,
        settle: SettleConfig = SettleConfig(),
        iterations: int = 6,
        warmup: int = 2,
        attribution: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.target = target
        self.app = app
        self.policy = policy
        self.timeline = Timeline()
        self.sampler = Sampler(target, app, self.timeline, interval)
        self.settle_config = settle
        self.default_iterations = iterations
        self.default_warmup = warmup
        self.attribution = attribution
        self.progress = progress
        #: class histograms at the first and last measured iteration (when attribution is on)
        self.histograms: dict[str, list[ClassStat]] = {}
        #: live allocations by allocation stack at the same two moments (see stack_attribution)
        self.generations: dict[str, "Generation"] = {}
        self.notes: list[str] = []
        #: the stored baseline of this test on this profile (None: no baseline yet)
        self.baseline: Baseline | None = None
        self.warnings_supported = True
        self._finished = False
        self.sampler.start()

    # -- reading -----------------------------------------------------------------
    def footprint(self) -> int | None:
        """The footprint now (one fresh read, also recorded as a sample)."""
        self.sampler.sample_once()
        return self.timeline.last

    def settle(self, min_wait: float = 0.0) -> SettleResult:
        """Wait until the footprint stops changing (bounded), and return it."""
        cfg = self.settle_config
        if min_wait:
            cfg = dataclasses.replace(cfg, min_wait=min_wait)

        def read() -> int | None:
            before = len(self.timeline.samples)
            self.sampler.sample_once()
            return self.timeline.last if len(self.timeline.samples) > before else None

        return wait_settled(read, cfg)

    @property
    def termination(self) -> Termination | None:
        return self.sampler.termination

    def _raise_if_dead(self) -> None:
        if self.sampler.termination is None:
            self.sampler.sample_once()
        if self.sampler.termination is not None:
            raise AppTerminated(self.sampler.termination)

    # -- marking -----------------------------------------------------------------
    def mark(self, label: str) -> None:
        """A labelled moment on the timeline (drawn in reports)."""
        self.timeline.add_mark(label)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """A named span of the timeline: ``with iosmem.phase("scroll feed"): ...``."""
        p = self.timeline.open_phase(name)
        try:
            yield
        finally:
            self.timeline.close_phase(p)

    def iterations(self, n: int | None = None, warmup: int | None = None) -> Iterator[int]:
        """Yield ``warmup + n`` times; read the settled footprint after each repetition.

        Warm-up iterations fill caches and are left out of leak detection.
        The leak estimate is the Theil–Sen slope over the ``n`` measured ones.
        """
        n = self.default_iterations if n is None else int(n)
        warmup = self.default_warmup if warmup is None else int(warmup)
        if n < 1 or warmup < 0:
            raise ValueError(f"iterations(n={n}, warmup={warmup}): n must be >= 1 and warmup >= 0")
        total = n + warmup
        for index in range(total):
            is_warmup = index < warmup
            with self.phase(f"warm-up {index + 1}" if is_warmup else f"iteration {index - warmup + 1}"):
                yield index
            result = self.settle()
            self._raise_if_dead()
            if result.footprint is None:
                self.timeline.add_event(EventKind.NOTE, f"iteration {index + 1}: no footprint could be read")
                continue
            self.timeline.add_iteration(
                IterationEnd(index, self.timeline.now(), result.footprint, is_warmup, result.settled, round(result.seconds, 4))
            )
            if self.attribution and not is_warmup and index in (warmup, total - 1):
                self._snapshot_classes("first" if index == warmup else "last")
            if self.progress:
                label = "warm-up" if is_warmup else "iteration"
                shown = index + 1 if is_warmup else index - warmup + 1
                of = warmup if is_warmup else n
                flag = "" if result.settled else " (not settled)"
                self.progress(f"{label} {shown}/{of}: {result.footprint / 1e6:.1f} MB{flag}")

    def _snapshot_classes(self, which: str) -> None:
        from .stack_attribution import capture_generation

        capture_generation(self, which)  # allocation stacks, when the target records them
        if getattr(self, "_classes_off", False):
            return
        try:
            self.histograms[which] = self.target.class_histogram(self.app)
        except NotSupported as exc:
            self.notes.append(f"attribution unavailable: {exc}")
            self._classes_off = True
        except TargetError as exc:
            self.notes.append(f"attribution failed: {exc}")
            self._classes_off = True
        # no classes (a device): go on only while allocation stacks are still being read
        self.attribution = not getattr(self, "_classes_off", False) or not getattr(self, "_stacks_off", False)

    # -- memory warnings ---------------------------------------------------------
    def memory_warning(self) -> int | None:
        """Send a memory warning, wait for the app to settle, return the bytes it gave back.

        On a target that cannot send one (a device, by default) nothing is
        faked: the reclaim check is reported as not run, with the reason.
        """
        before = self.settle()
        self._raise_if_dead()
        try:
            self.target.memory_warning(self.app)
        except NotSupported as exc:
            self.warnings_supported = False
            self.notes.append(f"memory warning not sent: {exc}")
            self.timeline.add_event(EventKind.NOTE, f"memory warning not sent: {exc}")
            return None
        sent_at = self.timeline.now()
        after = self.settle(min_wait=0.25)
        self._raise_if_dead()
        if before.footprint is None or after.footprint is None:
            self.timeline.add_event(EventKind.MEMORY_WARNING, "memory warning sent (footprint unreadable)", at=sent_at)
            return None
        reclaimed = before.footprint - after.footprint
        self.timeline.add_event(
            EventKind.MEMORY_WARNING,
            "memory warning sent",
            at=sent_at,
            before=before.footprint,
            after=after.footprint,
            reclaimed=reclaimed,
            settled=after.settled,
        )
        return reclaimed

    # -- end -----------------------------------------------------------------------
    def finish(self) -> None:
        """Final settled reading, then stop sampling (bounded). Idempotent."""
        if self._finished:
            return
        self._finished = True
        if self.sampler.termination is None:
            result = self.settle()
            self.timeline.end_footprint = result.footprint
        if not self.sampler.stop(timeout=2.0):
            self.timeline.add_event(EventKind.NOTE, "sampler did not stop within 2s; abandoned")
