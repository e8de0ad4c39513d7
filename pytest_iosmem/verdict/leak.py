"""The leak rule: does the settled footprint grow faster than the limit per iteration? (pure)

Readings ``y`` at iteration indices ``x`` (a missing reading leaves a gap), limit ``L``
bytes per iteration, significance ``alpha``:

* p-value: Kendall's exact test of ``y - L*x`` (:func:`.stats.exceeds`): testing against
  the limit, not against zero, keeps a high-water mark that rose early from counting as
  a leak merely because it is monotonic.
* estimate (:func:`leak_estimate`): the long-run rate, Siegel's repeated median of all
  readings (unbiased for a linear leak; it also follows lumpy growth).  It used to be the
  smallest of three slopes, which read 0.89x a true leak and 0.14x a lumpy one; a
  high-water mark is kept from being a finding by the later-half test instead.
* per-look level ``a``: with ``bound`` given, every look from the planned reading to the
  bound tests at :func:`.sequential.look_alpha` (0.86% for looks 6..20 at alpha 5%), so the
  chance of a wrong finding over all looks, and of a wrong clear, is each at most alpha.
* finding: ``p_above <= a`` over all readings **and** over the later half alone **and**
  estimate > L: a leak persists, a flattening high-water mark does not.
* clear: ``p_below <= a``.  Otherwise undecided: more iterations separate an outlier
  (diluted by each added reading) from a leak (which keeps adding concordant pairs).

With ``n`` readings a rank test cannot give a p below ``1/n!``; the decision says so in its
notes.  Measured error rates and estimate accuracy: docs/performance.md.
"""

from __future__ import annotations

from statistics import median
from typing import Sequence

from ..units import format_size
from .decision import CLEAR, FINDING, UNDECIDED, Decision
from .sequential import look_alpha
from .stats import check_readings, exceeds, iterations_for_alpha, repeated_median, sen_interval, smallest_p

__all__ = ["LATE_WINDOW_MIN", "judge_leak", "leak_estimate", "one_step", "successive_slope"]

#: fewest readings over which the leak estimate's later half is taken
LATE_WINDOW_MIN = 4


def leak_estimate(ys: Sequence[float], xs: Sequence[float]) -> float:
    """The leak per iteration: the repeated median of all readings (the module docstring says why)."""
    return repeated_median(ys, xs)


def successive_slope(ys: Sequence[float], xs: Sequence[float]) -> float:
    """Median growth from one reading to the next, per iteration.

    A leak grows in (nearly) every iteration; a high-water mark grows in a
    few steps and is flat in between, so most of its successive slopes are
    about zero.  The median of them ignores up to half of the steps, and an
    outlier touches only the two slopes beside it.
    """
    return median((ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]) for i in range(len(ys) - 1))


def judge_leak(
    xs: Sequence[int],
    ys: Sequence[float],
    limit: float,
    alpha: float,
    planned: int,
    bound: int | None = None,
) -> Decision:
    """The leak decision for readings ``ys`` at iteration indices ``xs`` (see the module docstring).

    ``bound``: the most readings the loop may take; every look from ``planned`` to it then tests at
    the per-look level :func:`.sequential.look_alpha` so that the whole procedure's chance of a wrong
    finding, and of a wrong clear, is each at most ``alpha``.  None: one look, at ``alpha``.
    """
    ys = check_readings(ys, "footprint")
    xs = list(xs)
    if len(xs) != len(ys):
        raise ValueError(f"{len(xs)} iteration indices for {len(ys)} readings")
    n = len(ys)
    notes: list[str] = []
    if smallest_p(max(n, 1)) > alpha:
        need = iterations_for_alpha(alpha)
        notes.append(
            f"trend_alpha {alpha:g} cannot be reached with {n} measured iteration(s) "
            f"(smallest possible p = 1/{n}! = {smallest_p(max(n, 1)):.3g}); at least {need} are needed"
        )
    if n < 2:
        return Decision("leak", UNDECIDED, n, planned, limit=limit, reason="fewer than two readings", notes=tuple(notes))
    # the rank boundary spends BOUNDARY_SHARE of alpha; the one-step retry below spends the rest
    level = alpha if bound is None else look_alpha(planned, bound, alpha * BOUNDARY_SHARE)
    decision = _judge(xs, ys, limit, level, planned, notes)
    if decision.outcome != UNDECIDED:
        return decision
    step = one_step(ys, xs, limit)
    if step is None:
        return decision
    at, excess = step
    if len(ys) - at < (RISE_SETTLED if excess > 0 else PURGE_SETTLED):
        # a rise: wait until the readings after it show it was once, not a lump of a leak; a drop:
        # until the next reading shows it stayed down (a low last reading is an outlier, not a purge)
        return decision
    spliced = ys[:at] + [y - excess for y in ys[at:]]
    kind = "purge" if excess < 0 else "rise"
    note = (
        f"one {kind} of {format_size(abs(excess))} before iteration {xs[at]} set aside "
        f"(a level shift, not a rate): judged on the readings with it removed"
    )
    retried = _judge(xs, spliced, limit, level, planned, [*notes, note])
    if retried.outcome == CLEAR or (retried.outcome == FINDING and excess < 0):
        return retried  # a purge may hide a leak, a rise may hide a clean app: never the other way round
    return decision


#: share of alpha the sequential rank boundary spends; the rest covers the one-step retry, which
#: can decide where the rank test alone would not (measured: under 0.3% at slope = limit)
BOUNDARY_SHARE = 0.9

#: a step is a lone level shift when it is this many robust noise scales from the typical step...
STEP_SCALES = 10
#: ...this many times the next-largest step, and at least this many limits
STEP_RATIO = 6
STEP_LIMITS = 2
#: readings after a rise before it may be set aside: lumpy growth steps again within 5 iterations
RISE_SETTLED = 6
#: readings after a drop before it may be set aside
PURGE_SETTLED = 2


def one_step(ys: Sequence[float], xs: Sequence[float], limit: float) -> tuple[int, float] | None:
    """A single level shift in the readings: ``(index of the first reading after it, its excess over
    the typical step)``, or None.

    A cache purge drops the footprint once and for good; a cache filled once raises it once.  Either
    is one successive step far from all the others, while a spike (an outlier reading) moves two
    steps in opposite directions and lumpy growth makes several large steps: neither is one step.
    """
    if len(ys) < 5:
        return None
    gaps = [xs[i + 1] - xs[i] for i in range(len(ys) - 1)]
    steps = [ys[i + 1] - ys[i] for i in range(len(ys) - 1)]
    typical = median(d / g for d, g in zip(steps, gaps))
    excess = [d - typical * g for d, g in zip(steps, gaps)]
    order = sorted(range(len(excess)), key=lambda i: abs(excess[i]), reverse=True)
    big, rest = order[0], order[1:]
    scale = 1.4826 * median(abs(excess[i]) for i in rest)
    largest = abs(excess[big])
    if largest <= STEP_LIMITS * limit or largest <= STEP_RATIO * abs(excess[rest[0]]) or largest <= STEP_SCALES * scale:
        return None
    return big + 1, excess[big]


def _judge(xs: list, ys: list, limit: float, level: float, planned: int, notes: list[str]) -> Decision:
    """One look of the rule at per-look level ``level``."""
    n = len(ys)
    estimate = leak_estimate(ys, xs)
    low, high = sen_interval(ys, xs, level)
    test = exceeds(ys, xs, limit)
    common = dict(check="leak", steps=n, planned=planned, estimate=estimate, low=low, high=high, p=test.p_above, limit=limit)
    lim = format_size(limit)
    # the later half must still climb faster than the limit: a leak persists, a high-water mark
    # flattens.  Its long-run rate, not a second rank test: lumpy growth (a block every few
    # iterations) has too few concordant pairs in half the readings for a test at the per-look level
    w = max(LATE_WINDOW_MIN, (n + 1) // 2)
    late = repeated_median(ys[-w:], xs[-w:]) if w < n else estimate
    if test.p_above <= level and estimate > limit and late > limit:
        return Decision(outcome=FINDING, reason=f"grows faster than {lim} per iteration (p={test.p_above:.3g})", notes=tuple(notes), **common)
    if test.p_below <= level:
        return Decision(outcome=CLEAR, reason=f"grows slower than {lim} per iteration (p={test.p_below:.3g})", notes=tuple(notes), **common)
    if test.p_above <= level:
        reason = (
            f"rose faster than {lim} per iteration (p={test.p_above:.3g}) but the later readings climb "
            f"{format_size(estimate, signed=True)} per iteration: a high-water mark that is flattening, or a leak"
        )
    else:
        reason = (
            f"neither clearly faster nor clearly slower than {lim} per iteration "
            f"(p={test.p_above:.3g} above, {test.p_below:.3g} below)"
        )
    return Decision(outcome=UNDECIDED, reason=reason, notes=tuple(notes), **common)
