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

__all__ = ["LATE_WINDOW_MIN", "judge_leak", "leak_estimate", "successive_slope"]

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
    level = alpha if bound is None else look_alpha(planned, bound, alpha)
    estimate = leak_estimate(ys, xs)
    low, high = sen_interval(ys, xs, level)
    test = exceeds(ys, xs, limit)
    common = dict(check="leak", steps=n, planned=planned, estimate=estimate, low=low, high=high, p=test.p_above, limit=limit)
    lim = format_size(limit)
    # the later half must say "faster than the limit" on its own too: a leak persists, a high-water
    # mark flattens (the window is long enough for alpha to be reachable at all)
    w = max(LATE_WINDOW_MIN, (n + 1) // 2, iterations_for_alpha(level))
    late = exceeds(ys[-w:], xs[-w:], limit) if w < n else test
    if test.p_above <= level and estimate > limit and late.p_above <= level:
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
