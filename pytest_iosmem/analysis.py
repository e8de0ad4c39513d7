"""From a timeline, limits and a baseline to a verdict. Pure: no I/O, no clock.

``analyse(timeline, policy, baseline, jetsam_limit)`` returns a Verdict: the
metrics, the findings (each one a reason the test fails, worded for the
person whose pull request it stops) and notes (checks that could not run,
and why).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .baseline import Baseline
from .policy import Policy
from .stats import mann_kendall, theil_sen
from .targets.base import JetsamLimit
from .timeline import EventKind, Timeline
from .units import format_size

__all__ = ["LeakEstimate", "Metrics", "Finding", "Verdict", "FindingKind", "estimate_leak", "compute_metrics", "analyse"]

#: fewest measured iterations for which an upward trend can be significant at 5%
MIN_LEAK_ITERATIONS = 4


class FindingKind:
    LEAK = "leak"
    GROWTH = "growth"
    PEAK = "peak"
    HEADROOM = "headroom"
    NO_RECLAIM = "no-reclaim"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class LeakEstimate:
    """Theil–Sen slope of the settled end-of-iteration footprints after warm-up."""

    per_iteration: float
    p_value: float
    n: int
    values: tuple[int, ...]
    kendall_s: int


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

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reclaimed"] = self.reclaimed
        d["reclaims"] = [dict(r) for r in d["reclaims"]]
        if d["leak"] is not None:
            d["leak"]["values"] = list(d["leak"]["values"])
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

    @property
    def passed(self) -> bool:
        return not self.findings

    def failure_message(self) -> str:
        return "\n".join(f.message for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "metrics": self.metrics.to_dict(),
            "findings": [asdict(f) for f in self.findings],
            "notes": list(self.notes),
        }


def estimate_leak(values: list[int]) -> LeakEstimate | None:
    """Slope and trend of the measured (post warm-up) iteration footprints."""
    if len(values) < 2:
        return None
    slope, _ = theil_sen(values)
    trend = mann_kendall(values)
    return LeakEstimate(slope, trend.p_increasing, len(values), tuple(values), trend.s)


def compute_metrics(timeline: Timeline) -> Metrics:
    samples = timeline.samples
    measured = [it.footprint for it in timeline.iterations if not it.warmup]
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
        leak=estimate_leak(measured),
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
    _check_leak(m, policy, v)
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


def _check_leak(m: Metrics, policy: Policy, v: Verdict) -> None:
    if policy.leak_per_iteration is None:
        return
    leak = m.leak
    if leak is None or leak.n < MIN_LEAK_ITERATIONS:
        n = 0 if leak is None else leak.n
        if n:
            v.notes.append(
                f"leak not judged: {n} measured iteration(s), at least {MIN_LEAK_ITERATIONS} are needed for a trend"
            )
        return
    if leak.per_iteration > policy.leak_per_iteration and leak.p_value < policy.trend_alpha:
        v.findings.append(
            Finding(
                FindingKind.LEAK,
                f"leak: {format_size(leak.per_iteration, signed=True)} per iteration over {leak.n} iterations "
                f"(trend p={leak.p_value:.3g}), limit {format_size(policy.leak_per_iteration)}",
                measured=leak.per_iteration,
                limit=policy.leak_per_iteration,
            )
        )


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
