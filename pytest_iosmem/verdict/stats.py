"""Robust trend statistics for short series (pure, standard library only).

Leak detection reads one settled footprint per iteration: a handful of
points, sometimes with one outlier (a late cache fill, a GC pause, a reading
taken while a transient buffer was still alive), sometimes rising like a
running maximum while the allocator reaches its high-water mark.  The
choices here, and why:

* **Slope: Siegel's repeated median** (:func:`repeated_median`) — for every
  point the median of its slopes to all others, then the median of those.
  Its breakdown point is 50%: one wild reading out of four (or any minority)
  cannot move it, at an end or in the middle.  Theil–Sen (the median of all
  pairwise slopes, kept in :func:`theil_sen`) breaks down at 29%: one outlier
  at the end of four readings owns three of the six pairwise slopes and
  drags the median (``[40 MB, +4 KB, +8 KB, 41 MB]`` reads +173 KB by
  Theil–Sen, +4 KB by the repeated median).
* **Test: Kendall's S of the series minus the limit's line** —
  :func:`exceeds` asks "does the footprint grow *faster than* ``limit`` per
  iteration?", not "does it grow at all?": it counts, over all pairs of
  readings, whether ``y - limit*x`` goes up or down.  A series that rises
  like a running maximum (big first step, then small ones) is monotonic, so
  a plain trend test calls it significant; minus the limit's line it is not.
  The same statistic, read the other way, says "clearly slower than the
  limit" (the *clear* outcome), and inverting it gives Sen's confidence
  interval of the slope (:func:`sen_interval`).
* **Exact p-values, also with ties**: under "no trend" every arrangement of
  the readings over the iterations is equally likely, so the number of
  discordant pairs follows the q-multinomial distribution of the tie groups
  (Mahonian numbers when there are no ties).  :func:`kendall_null` counts it
  exactly with integers, up to ``EXACT_MAX_N`` readings (far beyond any
  iteration bound).  The usual normal approximation with tie correction is
  up to 0.06 too small for short tied series, the size of alpha itself; past
  ``EXACT_MAX_N`` readings it is accurate, and used (``Trend.exact`` False).
* **Positions are the iteration indices**: a missing reading leaves a gap in
  ``x`` instead of shifting every later reading one step left (which turns
  a true 300 KB slope into 375 KB).
* **Finite input only**: NaN compares false with everything, so it would
  silently count as ties; :func:`check_finite` rejects it (and ±inf) with a
  ValueError naming the position.

A rank statistic has a floor: with ``n`` readings and no ties the smallest
possible p-value is ``1/n!`` (:func:`smallest_p`), so ``alpha < 1/n!`` can
never be reached; the verdict engine says so instead of silently passing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import median
from typing import Sequence

#: longest series whose Kendall p-value is counted exactly (the count grows as n^3)
EXACT_MAX_N = 60

__all__ = [
    "EXACT_MAX_N",
    "check_finite",
    "check_readings",
    "MAX_READING",
    "theil_sen",
    "repeated_median",
    "kendall_s",
    "kendall_null",
    "signed_rank_null",
    "mann_kendall",
    "exceeds",
    "sen_interval",
    "smallest_p",
    "iterations_for_alpha",
    "Trend",
    "Exceedance",
]


def check_finite(values: Sequence[float], name: str = "value") -> list[float]:
    """The values as a list; ValueError naming the first NaN or infinite one."""
    out = list(values)
    for i, v in enumerate(out):
        try:
            ok = math.isfinite(v)
        except TypeError:
            raise ValueError(f"{name}[{i}] = {v!r} is not a number") from None
        if not ok:
            raise ValueError(f"{name}[{i}] = {v!r}: statistics need finite numbers (no NaN or infinity)")
    return out


#: the largest reading accepted, in bytes (2**63: what any memory counter can hold)
MAX_READING = 2**63


def check_readings(values: Sequence[float], name: str = "reading") -> list[float]:
    """Footprint readings as a list; ValueError naming the position of the first that is not a
    finite, non-negative number of bytes (``True`` is not a reading, nor is ``10**400``)."""
    out = list(values)
    for i, v in enumerate(out):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{name}[{i}] = {v!r} is not a number of bytes")
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"{name}[{i}] = {v!r}: statistics need finite numbers (no NaN or infinity)")
        if v < 0:
            raise ValueError(f"{name}[{i}] = {v!r}: a footprint cannot be negative")
        if v > MAX_READING:
            raise ValueError(f"{name}[{i}] = {v!r}: larger than any footprint (at most 2**63 bytes)")
    return out


def _xs(ys: Sequence[float], xs: Sequence[float] | None) -> list[float]:
    if xs is None:
        return list(range(len(ys)))
    xs = check_finite(xs, "x")
    if len(xs) != len(ys):
        raise ValueError(f"{len(xs)} x positions for {len(ys)} values")
    if any(b <= a for a, b in zip(xs, xs[1:])):
        raise ValueError(f"x positions must be strictly increasing, got {xs!r}")
    return xs


def theil_sen(ys: Sequence[float], xs: Sequence[float] | None = None) -> tuple[float, float]:
    """Slope and intercept by Theil–Sen (median of pairwise slopes). Needs two points.

    Kept for comparison and for :func:`sen_interval`; the leak estimate uses
    :func:`repeated_median`, whose breakdown point is higher.
    """
    ys = check_finite(ys, "y")
    if len(ys) < 2:
        raise ValueError("Theil–Sen needs at least two points")
    xs = _xs(ys, xs)
    slope = median(_pairwise_slopes(ys, xs))
    intercept = median(y - slope * x for x, y in zip(xs, ys))
    return slope, intercept


def _pairwise_slopes(ys: Sequence[float], xs: Sequence[float]) -> list[float]:
    n = len(ys)
    return [(ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(n) for j in range(i + 1, n)]


def repeated_median(ys: Sequence[float], xs: Sequence[float] | None = None) -> float:
    """Siegel's repeated-median slope: ``median_i median_{j != i} (y_j - y_i) / (x_j - x_i)``.

    Breakdown point 50%: fewer than half of the readings, wherever they
    are, cannot carry it arbitrarily far.  Needs two points.
    """
    ys = check_finite(ys, "y")
    n = len(ys)
    if n < 2:
        raise ValueError("the repeated median needs at least two points")
    xs = _xs(ys, xs)
    inner = [median((ys[j] - ys[i]) / (xs[j] - xs[i]) for j in range(n) if j != i) for i in range(n)]
    return median(inner)


def kendall_s(ys: Sequence[float]) -> int:
    """Kendall's S of a series against its order: concordant minus discordant pairs."""
    n = len(ys)
    s = 0
    for i in range(n):
        yi = ys[i]
        for j in range(i + 1, n):
            d = ys[j] - yi
            s += (d > 0) - (d < 0)
    return s


def _tie_groups(ys: Sequence[float]) -> tuple[int, ...]:
    counts: dict[float, int] = {}
    for y in ys:
        counts[y] = counts.get(y, 0) + 1
    return tuple(sorted(counts.values()))


def _times_qint(c: list[int], i: int) -> list[int]:
    """Multiply a polynomial (coefficient list) by [i]_q = 1 + q + ... + q^(i-1)."""
    out = [0] * (len(c) + i - 1)
    window = 0
    for k in range(len(out)):
        if k < len(c):
            window += c[k]
        if k - i >= 0:
            window -= c[k - i]
        out[k] = window
    return out


def _div_qint(c: list[int], i: int) -> list[int]:
    """Exact division of a polynomial by [i]_q (= (1 - q^i) / (1 - q))."""
    if i == 1:
        return list(c)
    d = [c[k] - (c[k - 1] if k else 0) for k in range(len(c))] + [-c[-1]]  # times (1 - q)
    e = [0] * len(d)
    for k in range(len(d)):  # divided by (1 - q^i)
        e[k] = d[k] + (e[k - i] if k >= i else 0)
    keep = len(c) - (i - 1)
    assert all(v == 0 for v in e[keep:]), "q-integer division left a remainder"
    return e[:keep]


@lru_cache(maxsize=256)
def kendall_null(groups: tuple[int, ...]) -> tuple[int, ...]:
    """Exact null distribution of discordant pairs for a multiset with these tie-group sizes.

    ``counts[k]`` is the number of distinct arrangements of the multiset
    over the positions with exactly ``k`` discordant pairs (the coefficient
    of q^k in the q-multinomial coefficient ``[n; t1, t2, ...]_q``).  With
    no ties (all groups 1) these are the Mahonian numbers and they sum to n!.
    """
    n = sum(groups)
    poly = [1]
    for i in range(2, n + 1):
        poly = _times_qint(poly, i)
    for t in groups:
        for i in range(2, t + 1):
            poly = _div_qint(poly, i)
    return tuple(poly)


@lru_cache(maxsize=64)
def signed_rank_null(n: int) -> tuple[int, ...]:
    """Counts of the signed-rank sum W+ = 0 .. n(n+1)/2 over the 2^n sign patterns (ranks 1..n, no ties)."""
    counts = [1]
    for r in range(1, n + 1):
        new = counts + [0] * r
        for s, c in enumerate(counts):
            new[s + r] += c
        counts = new
    return tuple(counts)


@dataclass(frozen=True)
class Trend:
    """Kendall trend of a series: S, and exact one-sided p-values of "up" and "down"."""

    s: int
    p_increasing: float
    p_decreasing: float
    exact: bool = True


def mann_kendall(ys: Sequence[float]) -> Trend:
    """Mann–Kendall test of ``ys`` against its order, exact (with ties) for any n.

    ``p_increasing = P(S >= s)`` and ``p_decreasing = P(S <= s)`` under "every
    arrangement of these values is equally likely".
    """
    ys = check_finite(ys, "y")
    n = len(ys)
    if n < 2:
        return Trend(0, 1.0, 1.0)
    s = kendall_s(ys)
    groups = _tie_groups(ys)
    if n > EXACT_MAX_N:
        return _normal_trend(s, n, groups)
    counts = kendall_null(groups)
    total = sum(counts)
    untied_pairs = n * (n - 1) // 2 - sum(t * (t - 1) // 2 for t in groups)
    # S = untied - 2 * discordant, so S >= s  <=>  discordant <= (untied - s) / 2
    d_obs = (untied_pairs - s) // 2
    at_most = sum(counts[: d_obs + 1])
    at_least = sum(counts[d_obs:])
    return Trend(s, at_most / total, at_least / total)


def _s_variance(n: int, groups: Sequence[int]) -> float:
    return (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in groups)) / 18.0


def _normal_trend(s: int, n: int, groups: Sequence[int]) -> Trend:
    """Normal approximation with tie and continuity correction (long series only)."""
    var = _s_variance(n, groups)
    if var <= 0:
        return Trend(s, 1.0, 1.0, exact=False)
    sd = math.sqrt(var)
    up = 0.5 * math.erfc((s - 1) / sd / math.sqrt(2))  # P(S >= s)
    down = 0.5 * math.erfc((-s - 1) / sd / math.sqrt(2))  # P(S <= s)
    return Trend(s, min(1.0, up), min(1.0, down), exact=False)


@dataclass(frozen=True)
class Exceedance:
    """Does the series grow faster than ``limit`` per step? (exact Kendall test of ``y - limit*x``)."""

    limit: float
    s: int
    #: P(S >= s) if the slope were exactly ``limit``: small means "faster than the limit"
    p_above: float
    #: P(S <= s): small means "slower than the limit"
    p_below: float


def exceeds(ys: Sequence[float], xs: Sequence[float] | None, limit: float) -> Exceedance:
    """Kendall's test of H0 "slope = limit" against "slope > limit" (``p_above``) and "< limit".

    With integer readings and an integer limit the detrended values are
    exact integers, so ties are real ties and are counted exactly.
    """
    ys = check_finite(ys, "y")
    xs = _xs(ys, xs)
    if not math.isfinite(limit):
        raise ValueError(f"limit {limit!r} must be finite")
    if isinstance(limit, float) and limit.is_integer():
        limit = int(limit)
    resid = [y - limit * x for x, y in zip(xs, ys)]
    t = mann_kendall(resid)
    return Exceedance(limit, t.s, t.p_increasing, t.p_decreasing)


@lru_cache(maxsize=128)
def _critical_s(n: int, alpha: float) -> int | None:
    """Smallest c with P(S >= c) <= alpha for n untied readings (None: no such c)."""
    if n > EXACT_MAX_N:
        from statistics import NormalDist

        sd = math.sqrt(_s_variance(n, ()))
        c = math.ceil(NormalDist().inv_cdf(1 - alpha) * sd + 1)
        pairs = n * (n - 1) // 2
        c += (pairs - c) % 2  # S has the parity of the number of pairs
        return c if c <= pairs else None
    counts = kendall_null((1,) * n)
    total = sum(counts)
    pairs = n * (n - 1) // 2
    acc = 0
    best = None
    for d, c in enumerate(counts):  # S = pairs - 2d, decreasing in d
        acc += c
        if acc / total <= alpha:
            best = pairs - 2 * d
        else:
            break
    return best


def sen_interval(ys: Sequence[float], xs: Sequence[float] | None, alpha: float) -> tuple[float, float]:
    """Sen's distribution-free confidence interval of the slope, each side at level ``alpha``.

    The set of slopes ``b`` that the one-sided Kendall tests of ``y - b*x``
    do not reject: order statistics of the pairwise slopes, indices taken from
    the exact null distribution of S.  ``(-inf, inf)`` when ``alpha`` cannot
    be reached with this many readings.
    """
    ys = check_finite(ys, "y")
    xs = _xs(ys, xs)
    n = len(ys)
    if n < 2:
        return (-math.inf, math.inf)
    slopes = sorted(_pairwise_slopes(ys, xs))
    c = _critical_s(n, alpha)
    if c is None:
        return (-math.inf, math.inf)
    k = (len(slopes) - c) // 2  # b below slopes[k] gives S >= c: rejected
    if k < 0 or k >= len(slopes):
        return (-math.inf, math.inf)
    return (slopes[k], slopes[len(slopes) - 1 - k])


def smallest_p(n: int) -> float:
    """The smallest one-sided p-value a rank test can give with n untied readings: 1/n!."""
    return 1.0 / math.factorial(n) if n >= 1 else 1.0


def iterations_for_alpha(alpha: float) -> int:
    """Fewest readings whose smallest possible p-value is at most ``alpha``."""
    n = 2
    while smallest_p(n) > alpha:
        n += 1
    return n
