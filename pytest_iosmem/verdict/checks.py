"""From a timeline, limits and a baseline to a verdict. Pure: no I/O, no clock.

``analyse(timeline, policy, baseline, jetsam_limit)`` returns a :class:`~.findings.Verdict`:
the metrics, the findings (worded for the person whose pull request it stops), notes
(checks that could not run, and why) and the decisions of the sequential checks.

The leak check asks :func:`leak_decision`, the same function ``IosMem.iterations()``
asks after every iteration past the planned ones, on the same readings: the verdict
reported is the one the loop stopped on.
"""

from __future__ import annotations

from ..timeline import EventKind, Timeline
from ..units import format_size
from ..values import Baseline, JetsamLimit
from .decision import FINDING, INCONCLUSIVE, Decision
from .findings import Finding, FindingKind, Verdict
from .leak import judge_leak
from .metrics import Metrics, compute_metrics, leak_readings
from .policy import Policy

__all__ = ["leak_decision", "analyse"]


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
    # the loop looks after every reading from the planned to the bound: the per-look level accounts for all
    bound = int(timeline.plan["max"]) if timeline.plan else None
    return judge_leak(xs, ys, policy.leak_per_iteration, policy.trend_alpha, planned, bound)


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
