"""Robust trend statistics for short series (pure, standard library only).

Leak detection reads one settled footprint per iteration: a handful of
points, sometimes with one outlier (a late cache fill, a GC pause).  Least
squares lets one outlier fake or hide a slope; the Theil–Sen estimator (the
median of all pairwise slopes) does not, and the Mann–Kendall test gives a
distribution-free p-value for "the series goes up".  For series without ties
the p-value is exact (the null distribution of Kendall's S is the Mahonian
distribution of permutation inversions); with ties, the normal approximation
with the tie-corrected variance is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import median
from typing import Sequence

__all__ = ["theil_sen", "mann_kendall", "Trend"]

_EXACT_MAX_N = 40


def theil_sen(ys: Sequence[float], xs: Sequence[float] | None = None) -> tuple[float, float]:
    """Slope and intercept by Theil–Sen. Needs at least two points."""
    n = len(ys)
    if n < 2:
        raise ValueError("Theil–Sen needs at least two points")
    xs = list(range(n)) if xs is None else list(xs)
    slopes = [
        (ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(n) for j in range(i + 1, n) if xs[j] != xs[i]
    ]
    if not slopes:
        raise ValueError("Theil–Sen needs at least two distinct x values")
    slope = median(slopes)
    intercept = median(y - slope * x for x, y in zip(xs, ys))
    return slope, intercept


@dataclass(frozen=True)
class Trend:
    """Mann–Kendall result: S statistic and one-sided p-value of an upward trend."""

    s: int
    p_increasing: float
    exact: bool


@lru_cache(maxsize=64)
def _inversion_cdf(n: int) -> tuple[float, ...]:
    """P(inversions <= k) for a uniform random permutation of n items, k = 0..n(n-1)/2."""
    counts = [1]
    for m in range(2, n + 1):  # insert the m-th element: adds 0..m-1 inversions
        new = [0] * (len(counts) + m - 1)
        window = 0
        for k in range(len(new)):
            if k < len(counts):
                window += counts[k]
            if k - m >= 0 and k - m < len(counts):
                window -= counts[k - m]
            new[k] = window
        counts = new
    total = math.factorial(n)
    cdf, acc = [], 0
    for c in counts:
        acc += c
        cdf.append(acc / total)
    return tuple(cdf)


def mann_kendall(ys: Sequence[float]) -> Trend:
    """Mann–Kendall trend test: is the series increasing?"""
    n = len(ys)
    if n < 2:
        return Trend(0, 1.0, True)
    s = 0
    for i in range(n):
        for j in range(i + 1, n):
            d = ys[j] - ys[i]
            s += (d > 0) - (d < 0)
    has_ties = len(set(ys)) < n
    if not has_ties and n <= _EXACT_MAX_N:
        pairs = n * (n - 1) // 2
        # S = pairs - 2 * inversions, so S >= s  <=>  inversions <= (pairs - s) / 2
        k = (pairs - s) // 2
        return Trend(s, _inversion_cdf(n)[k], True)
    # Normal approximation with tie correction and continuity correction.
    groups: dict[float, int] = {}
    for y in ys:
        groups[y] = groups.get(y, 0) + 1
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in groups.values())) / 18.0
    if var <= 0:
        return Trend(s, 1.0, False)
    z = (s - 1) / math.sqrt(var) if s > 0 else (s + 1) / math.sqrt(var) if s < 0 else 0.0
    p = 0.5 * math.erfc(z / math.sqrt(2))
    return Trend(s, p, False)
