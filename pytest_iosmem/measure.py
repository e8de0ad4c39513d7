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
import time
from typing import TYPE_CHECKING, Callable, Iterator

from .values import Baseline
from .errors import NotSupported, RepeatConflict, TargetError, WarningUnconfirmed
from .verdict.policy import Policy
from .attribution.capture import StackCapture
from .sampler import Sampler
from .object_series import ObjectSeries, object_check_enabled
from .settle import SettleConfig, SettleResult, wait_settled
from .targets.base import App, Target, Termination
from .values import ClassStat
from .timeline import EventKind, IterationEnd, Timeline

if TYPE_CHECKING:
    from .attribution.stacks import Generation

__all__ = ["IosMem", "AppTerminated", "InconclusiveWarning"]


class InconclusiveWarning(UserWarning):
    """A sequential check (the leak verdict) is still undecided at its bound of iterations."""


class AppTerminated(Exception):
    """The app died while the test was measuring it (jetsam, crash, exit)."""

    def __init__(self, termination: Termination) -> None:
        super().__init__(f"the app died: {termination.describe()}")
        self.termination = termination


def settle_config_for(cfg: SettleConfig, target_interval: float | None) -> SettleConfig:
    """Settle at the target's own rate: a device's sysmontap has a new value every 0.5 s.

    Reading faster than the target measures only re-reads its last value.
    The bound grows so that a full window of fresh samples fits in it (plus
    one interval for the first); otherwise such a target could never settle.
    """
    if not target_interval or target_interval <= cfg.interval:
        return cfg
    needed = (cfg.window + 1) * target_interval
    return dataclasses.replace(cfg, interval=target_interval, max_wait=max(cfg.max_wait, needed))


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
        objects: str = "off",
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
        self.notes: list[str] = []
        #: live allocations by allocation stack at the same two moments (see attribution.capture)
        self.stacks = StackCapture(target, app, self.notes)
        #: False once the target said it cannot give class histograms (asked no more)
        self.classes_available = True
        #: the stored baseline of this test on this profile (None: no baseline yet)
        self.baseline: Baseline | None = None
        self.warnings_supported = True
        #: True while --iosmem-repeat runs the test body inside its own iterations() loop
        self.repeating = False
        #: class histograms per measured iteration for the object check (None: the check is off)
        self.objects = ObjectSeries(target, app, explicit=objects == "on") if object_check_enabled(objects, target) else None
        self._finished = False
        self._iterations_run = 0
        self.sampler.start()

    # -- reading -----------------------------------------------------------------
    def footprint(self) -> int | None:
        """The footprint now (one fresh read, also recorded as a sample; bounded wait)."""
        self.sampler.sample_bounded()
        return self.timeline.last

    def settle(self, min_wait: float = 0.0) -> SettleResult:
        """Wait until the footprint stops changing (bounded), and return it.

        Bounded as a whole: each read waits at most until the settle deadline
        (a hung read cannot stretch it), and it stops at once when the app is
        known to be dead (there is nothing left to settle).
        """
        cfg = settle_config_for(self.settle_config, getattr(self.target, "sample_interval", None))
        if min_wait:
            cfg = dataclasses.replace(cfg, min_wait=min_wait)
        deadline = time.monotonic() + max(cfg.max_wait, cfg.min_wait)

        seen = [len(self.timeline.samples)]

        def read() -> int | None:
            # A reading is a sample newer than the previous reading, whoever took it: on a
            # streaming target the background sampler may be the one that recorded it.
            budget = min(self.sampler.read_timeout, deadline - time.monotonic())
            self.sampler.sample_bounded(max(budget, 0.05))
            count = len(self.timeline.samples)
            if count == seen[0]:
                return None
            seen[0] = count
            return self.timeline.last

        return wait_settled(read, cfg, stop=lambda: self.sampler.termination is not None)

    @property
    def termination(self) -> Termination | None:
        return self.sampler.termination

    def _raise_if_dead(self) -> None:
        if self.sampler.termination is None:
            self.sampler.sample_bounded()
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

    def iterations(self, n: int | None = None, warmup: int | None = None, max: int | None = None) -> Iterator[int]:
        """Yield ``warmup + n`` times, then more while the leak (or object) verdict is undecided (up to ``max`` measured).

        After each repetition the settled footprint is read.  Warm-up
        iterations fill caches and are left out of leak detection.  After
        the ``n`` planned measured iterations the verdict engine
        (:func:`pytest_iosmem.verdict.checks.leak_decision`) is asked: a clear
        leak or a clear no-leak ends the loop; undecided adds one more
        iteration, up to ``max`` measured ones (default: the policy's
        ``max_iterations``, option ``--iosmem-max-iterations``; never below
        ``n``).  Still undecided there, the leak verdict is *inconclusive*:
        a warning now, and its own verdict in the reports.
        """
        if self.repeating:
            raise RepeatConflict(
                "--iosmem-repeat runs this test's body in an iosmem.iterations() loop of its own, and the body called "
                "iosmem.iterations() where the plugin could not see it beforehand (a fixture, a dynamic call): run it "
                "without --iosmem-repeat, or call iosmem.iterations() in the test function or a helper it calls by name"
            )
        from .verdict.checks import leak_decision
        from .verdict.decision import Plan

        n = self.default_iterations if n is None else int(n)
        warmup = self.default_warmup if warmup is None else int(warmup)
        bound = self.policy.max_iterations if max is None else int(max)
        if n < 1 or warmup < 0 or bound < 1:
            raise ValueError(f"iterations(n={n}, warmup={warmup}, max={bound}): n and max must be >= 1, warmup >= 0")
        bound = n if bound < n else bound
        plan = Plan(n, bound)
        # a second loop in the same test continues the same series: plan and bound add up
        before = self.timeline.plan or {"planned": 0, "max": 0}
        self.timeline.plan = {"planned": before["planned"] + n, "max": before["max"] + bound}
        # iteration ends are numbered across loops: the leak slope's x is this number
        first = self._iterations_run
        index = 0
        while True:
            if index >= warmup + n:
                decision = leak_decision(self.timeline, self.policy)
                decisions = [] if decision is None else [decision]
                objects = self._object_decision(n)
                if objects is not None:  # an object check left open by a gap asks for more iterations too
                    decisions.append(objects)
                if not plan.wants_more(decisions, index - warmup):
                    if decision is not None and not decision.decided:
                        self._inconclusive(decision.at_bound())
                    if self.attribution:
                        self._snapshot_classes("last")  # once, when the loop ends: heap snapshots cost seconds
                    return
            is_warmup = index < warmup
            if index == warmup and self.objects:
                self.objects.start()  # the object check's reference: before the first measured iteration
            with self.phase(f"warm-up {index + 1}" if is_warmup else f"iteration {index - warmup + 1}"):
                yield index
            self._iterations_run += 1
            result = self.settle()
            self._raise_if_dead()
            if self.objects and not is_warmup:
                self.objects.read()
            if result.footprint is None:
                self.timeline.add_event(EventKind.NOTE, f"iteration {index + 1}: no footprint could be read")
                index += 1
                continue
            self.timeline.add_iteration(
                IterationEnd(first + index, self.timeline.now(), result.footprint, is_warmup, result.settled, round(result.seconds, 4))
            )
            if self.attribution and not is_warmup and index == warmup:
                self._snapshot_classes("first")
            if self.progress:
                label = "warm-up" if is_warmup else "iteration"
                shown = index + 1 if is_warmup else index - warmup + 1
                of = warmup if is_warmup else n
                extra = " (added: leak undecided)" if shown > of and not is_warmup else ""
                flag = "" if result.settled else " (not settled)"
                self.progress(f"{label} {shown}/{of}{extra}: {result.footprint / 1e6:.1f} MB{flag}")
            index += 1

    def _object_decision(self, planned: int):
        """The object check on the histograms read so far (None: not running, or not judged yet)."""
        rules = self.policy.object_rules
        if self.objects is None or rules is None or not self.objects.started:
            return None
        from .verdict.objects import judge_objects

        check = judge_objects(self.objects.histograms, rules)
        return check.decision(planned=planned, limit=rules.per_iteration) if check.judged else None

    def _inconclusive(self, decision) -> None:
        """The bound is reached undecided: say so now, as a warning of the test (never a silent pass)."""
        import warnings

        text = (
            f"iosmem: leak verdict inconclusive after {decision.steps} measured iterations "
            f"({decision.added} added): {decision.reason}"
        )
        self.timeline.add_event(EventKind.NOTE, text)
        warnings.warn(InconclusiveWarning(text), stacklevel=3)

    @property
    def generations(self) -> dict[str, "Generation"]:
        """The allocation-stack generations read so far (``first``, ``last``)."""
        return self.stacks.generations

    def _snapshot_classes(self, which: str) -> None:
        self.stacks.capture(which)  # allocation stacks, when the target records them
        if self.classes_available:
            try:
                self.histograms[which] = self.target.class_histogram(self.app)
            except NotSupported as exc:
                self.notes.append(f"attribution unavailable: {exc}")
                self.classes_available = False
            except TargetError as exc:
                self.notes.append(f"attribution failed: {exc}")
                self.classes_available = False
        # no classes (a device): go on only while allocation stacks are still being read
        self.attribution = self.classes_available or self.stacks.available

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
        except NotSupported as exc:  # WarningUnconfirmed too: a reclaim after it would prove nothing
            self.warnings_supported = False
            said = "memory warning not confirmed" if isinstance(exc, WarningUnconfirmed) else "memory warning not sent"
            self.notes.append(f"{said}: {exc}")
            self.timeline.add_event(EventKind.NOTE, f"{said}: {exc}")
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
        """Final settled reading, then stop sampling. Idempotent.

        Bounded even behind a hung target read: the settle is bounded by its
        ``max_wait`` (each read by what is left of it), the stop by 2 s.
        """
        if self._finished:
            return
        self._finished = True
        if self.sampler.termination is None:
            result = self.settle()
            self.timeline.end_footprint = result.footprint
        if not self.sampler.stop(timeout=2.0):
            self.timeline.add_event(EventKind.NOTE, "sampler did not stop within 2s; abandoned")
