"""From a timeline, limits and a baseline to a verdict. Pure: no I/O, no clock.

``analyse(timeline, policy, baseline, jetsam_limit)`` returns a Verdict: the
metrics, the findings (each one a reason the test fails, worded for the
person whose pull request it stops), notes (checks that could not run, and
why) and the decisions of the sequential checks (:mod:`.verdict`).

The leak check asks the verdict engine through :func:`leak_decision`, the
same function ``IosMem.iterations()`` asks after every iteration past the
planned ones, on the same readings: the verdict reported is the one the
loop stopped on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .baseline import Baseline
from .policy import Policy
from .stats import mann_kendall
from .targets.base import JetsamLimit
from .timeline import EventKind, Timeline
from .units import format_size
from .verdict import FINDING, INCONCLUSIVE, Decision, judge_leak, leak_estimate

__all__ = [
    "LeakEstimate",
    "Metrics",
    "Finding",
    "Verdict",
    "FindingKind",
    "estimate_leak",
    "compute_metrics",
    "leak_readings",
    "leak_decision",
    "analyse",
]


class FindingKind:
    LEAK = "leak"
    GROWTH = "growth"
    PEAK = "peak"
    HEADROOM = "headroom"
    NO_RECLAIM = "no-reclaim"
    TERMINATED = "terminated"
    #: a sequential check still undecided at its bound, when the policy says inconclusive fails
    INCONCLUSIVE = "inconclusive"
    OBJECTS = "objects"  # a class whose instances grew in every measured iteration (see objects.py)


@dataclass(frozen=True)
class LeakEstimate:
    """Growth of the settled end-of-iteration footprints after warm-up.

    ``per_iteration``: the verdict engine's robust slope (repeated median,
    the smaller of all readings and the later half); ``p_value``: exact
    Mann–Kendall p of "it goes up at all"; ``xs``: the iteration index of
    each reading (a missing reading leaves a gap).  Whether it is a leak is
    the leak decision's answer (``Verdict.decisions``), which tests against
    the limit, not against zero.
    """

    per_iteration: float
    p_value: float
    n: int
    values: tuple[int, ...]
    kendall_s: int
    xs: tuple[int, ...] = ()


@dataclass(frozen=True)
class Reclaim:
    before: int
    after: int
    reclaimed: int
    settled: bool


@dataclass(frozen=True)
class Metrics:
    start: int | None
    end: int | None
    peak: int | None
    samples: int
    duration: float
    leak: LeakEstimate | None
    reclaims: tuple[Reclaim, ...]
    read_gaps: int
    terminated: str | None

    @property
    def reclaimed(self) -> int | None:
        """The smallest amount given back by any memory warning of the test."""
        return min(r.reclaimed for r in self.reclaims) if self.reclaims else None

    @property
    def snapshot_steps(self) -> int:
        """Iterations between the first and the last measured one, where attribution snapshots are
        taken (class histograms, allocation stacks): what their growth is divided by."""
        return max(1, self.leak.n - 1) if self.leak else 1

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reclaimed"] = self.reclaimed
        d["reclaims"] = [dict(r) for r in d["reclaims"]]
        if d["leak"] is not None:
            d["leak"]["values"] = list(d["leak"]["values"])
            d["leak"]["xs"] = list(d["leak"]["xs"])
        return d


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    measured: float | None = None
    limit: float | None = None


@dataclass
class Verdict:
    metrics: Metrics
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: final decisions of the sequential checks (leak; later objects, A/B): finding, clear or inconclusive
    decisions: list[Decision] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def inconclusive(self) -> list[Decision]:
        return [d for d in self.decisions if d.outcome == INCONCLUSIVE]

    def failure_message(self) -> str:
        return "\n".join(f.message for f in self.findings)

    def amend(self, text: str, kinds: tuple[str, ...] | None = None) -> None:
        """Add a line to the first finding (of ``kinds``, when given): attribution or saved evidence.

        Findings are frozen, so the finding is replaced; with no such finding nothing changes.
        """
        for i, f in enumerate(self.findings):
            if kinds is None or f.kind in kinds:
                self.findings[i] = replace(f, message=f.message + "\n" + text)
                return

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "metrics": self.metrics.to_dict(),
            "findings": [asdict(f) for f in self.findings],
            "notes": list(self.notes),
            "decisions": [d.to_dict() for d in self.decisions],
        }


def estimate_leak(values: list[int], xs: list[int] | None = None) -> LeakEstimate | None:
    """Slope and trend of the measured (post warm-up) iteration footprints at iteration indices ``xs``."""
    if len(values) < 2:
        return None
    xs = list(range(len(values))) if xs is None else list(xs)
    slope = leak_estimate(values, xs)
    trend = mann_kendall(values)
    return LeakEstimate(slope, trend.p_increasing, len(values), tuple(values), trend.s, tuple(xs))


def leak_readings(timeline: Timeline) -> tuple[list[int], list[int]]:
    """Iteration indices and settled footprints of the measured (post warm-up) iterations."""
    its = [it for it in timeline.iterations if not it.warmup]
    return [it.index for it in its], [it.footprint for it in its]


def leak_decision(timeline: Timeline, policy: Policy) -> Decision | None:
    """The verdict engine's leak decision on the readings so far (None: check off or no readings).

    Undecided means "more iterations would help"; the caller that can add
    none turns it into inconclusive (:meth:`Decision.at_bound`).
    """
    if policy.leak_per_iteration is None:
        return None
    xs, ys = leak_readings(timeline)
    if not ys:
        return None
    planned = int(timeline.plan["planned"]) if timeline.plan else len(ys)
    return judge_leak(xs, ys, policy.leak_per_iteration, policy.trend_alpha, planned)


def compute_metrics(timeline: Timeline) -> Metrics:
    samples = timeline.samples
    xs, measured = leak_readings(timeline)
    reclaims = tuple(
        Reclaim(int(e.data["before"]), int(e.data["after"]), int(e.data["reclaimed"]), bool(e.data.get("settled", True)))
        for e in timeline.events_of(EventKind.MEMORY_WARNING)
        if {"before", "after", "reclaimed"} <= set(e.data)
    )
    terminated = timeline.events_of(EventKind.TERMINATED)
    end = timeline.end_footprint
    if end is None and samples:
        end = samples[-1].footprint
    return Metrics(
        start=samples[0].footprint if samples else None,
        end=end,
        peak=timeline.peak,
        samples=len(samples),
        duration=round(samples[-1].t - samples[0].t, 4) if len(samples) > 1 else 0.0,
        leak=estimate_leak(measured, xs),
        reclaims=reclaims,
        read_gaps=len(timeline.events_of(EventKind.READ_FAILED)),
        terminated=terminated[0].detail if terminated else None,
    )


def _pct(delta: float, base: float) -> str:
    return f"{delta / base * 100:+.1f}%" if base else "n/a"


def analyse(
    timeline: Timeline,
    policy: Policy,
    baseline: Baseline | None = None,
    jetsam_limit: JetsamLimit | None = None,
    warnings_supported: bool = True,
) -> Verdict:
    m = compute_metrics(timeline)
    v = Verdict(m)
    if m.read_gaps:
        v.notes.append(f"footprint reads failed {m.read_gaps} time(s): the timeline has gaps (see read_failed events)")
    _check_terminated(timeline, v)
    _check_leak(timeline, policy, v)
    _check_growth(m, policy, baseline, v)
    _check_peak(m, policy, v)
    _check_headroom(m, policy, jetsam_limit, v)
    _check_reclaim(m, policy, warnings_supported, v)
    return v


def _check_terminated(timeline: Timeline, v: Verdict) -> None:
    for e in timeline.events_of(EventKind.TERMINATED):
        last = e.data.get("last_footprint")
        at = f" at {format_size(last)}" if last else ""
        v.findings.append(
            Finding(
                FindingKind.TERMINATED,
                f"terminated: the app died ({e.detail}){at}, {e.t:.1f}s into the test",
                measured=last,
            )
        )


def _check_leak(timeline: Timeline, policy: Policy, v: Verdict) -> None:
    decision = leak_decision(timeline, policy)
    if decision is None:
        return
    d = decision.at_bound()  # the test is over: no more iterations will come
    v.decisions.append(d)
    v.notes.extend(d.notes)
    limit = format_size(policy.leak_per_iteration)
    added = f"{d.added} added to decide; " if d.added else ""
    est = "n/a" if d.estimate is None else format_size(d.estimate, signed=True)
    if d.outcome == FINDING:
        v.findings.append(
            Finding(
                FindingKind.LEAK,
                f"leak: {est} per iteration over {d.steps} iterations ({added}trend p={d.p:.3g}), limit {limit}",
                measured=d.estimate,
                limit=policy.leak_per_iteration,
            )
        )
    elif d.outcome == INCONCLUSIVE:
        bound = int(timeline.plan["max"]) if timeline.plan else d.steps
        text = (
            f"inconclusive: leak {est} per iteration over {d.steps} iterations "
            f"({d.added} added, bound {bound}): {d.reason}; limit {limit}"
        )
        if policy.inconclusive == "fail":
            v.findings.append(Finding(FindingKind.INCONCLUSIVE, text, measured=d.estimate, limit=policy.leak_per_iteration))
        else:
            v.notes.append(text + " (passes: inconclusive=warn)")


def _check_growth(m: Metrics, policy: Policy, baseline: Baseline | None, v: Verdict) -> None:
    if policy.max_growth is None or baseline is None:
        return
    origin = baseline.origin
    source = f" of {origin.describe()}" if origin is not None and origin.borrowed else ""
    for name, value, base in (("end", m.end, baseline.end), ("peak", m.peak, baseline.peak)):
        if value is None:
            continue
        allowed = max(policy.max_growth.allowance(base), policy.noise_floor)
        delta = value - base
        if delta > allowed:
            v.findings.append(
                Finding(
                    FindingKind.GROWTH,
                    f"growth: {name} footprint {format_size(value)} is {format_size(delta, signed=True)} "
                    f"({_pct(delta, base)}) over the baseline {format_size(base)}{source}; allowed "
                    f"{format_size(allowed, signed=True)} ({policy.max_growth.describe()}, noise floor "
                    f"{format_size(policy.noise_floor)})",
                    measured=value,
                    limit=base + allowed,
                )
            )


def _check_peak(m: Metrics, policy: Policy, v: Verdict) -> None:
    if policy.max_peak is not None and m.peak is not None and m.peak > policy.max_peak:
        v.findings.append(
            Finding(
                FindingKind.PEAK,
                f"peak: {format_size(m.peak)} is over the limit {format_size(policy.max_peak)} "
                f"by {format_size(m.peak - policy.max_peak)}",
                measured=m.peak,
                limit=policy.max_peak,
            )
        )


def _check_headroom(m: Metrics, policy: Policy, limit: JetsamLimit | None, v: Verdict) -> None:
    if policy.jetsam_headroom is None:
        return
    if limit is None:
        v.notes.append("jetsam headroom not checked: the jetsam limit of this target is unknown")
        return
    if m.peak is None:
        return
    highest_allowed = limit.bytes * (1 - policy.jetsam_headroom)
    if m.peak > highest_allowed:
        left = max(0.0, 1 - m.peak / limit.bytes)
        v.findings.append(
            Finding(
                FindingKind.HEADROOM,
                f"headroom: peak {format_size(m.peak)} leaves {left * 100:.0f}% of the jetsam limit "
                f"{format_size(limit.bytes)} ({limit.source}); at least {policy.jetsam_headroom * 100:g}% must stay free",
                measured=m.peak,
                limit=highest_allowed,
            )
        )


def _check_reclaim(m: Metrics, policy: Policy, warnings_supported: bool, v: Verdict) -> None:
    if policy.reclaim_after_warning is None:
        return
    if not warnings_supported:
        v.notes.append("reclaim after warning not checked: this target cannot send a memory warning")
        return
    if not m.reclaims:
        v.notes.append("reclaim after warning not checked: the test sent no memory warning")
        return
    for i, r in enumerate(m.reclaims, 1):
        if r.reclaimed < policy.reclaim_after_warning:
            v.findings.append(
                Finding(
                    FindingKind.NO_RECLAIM,
                    f"no-reclaim: memory warning {i} gave back {format_size(r.reclaimed)} "
                    f"({format_size(r.before)} -> {format_size(r.after)}), at least "
                    f"{format_size(policy.reclaim_after_warning)} expected",
                    measured=r.reclaimed,
                    limit=policy.reclaim_after_warning,
                )
            )
