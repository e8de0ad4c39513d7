"""Per-look levels that keep the error rate of a *sequential* check at its stated alpha (pure).

A check that is judged after the planned steps and again after every added step, up to
the bound, gets as many chances to be wrong as it has looks.  Testing at the full alpha at
each look gave, at a true slope equal to the limit, a wrong finding in 20% of runs (by the
Kendall test alone) where one look gives 5%.  Here each look tests at a smaller level
``a`` (the same at every look: a Pocock-type boundary, so the planned look keeps most of
its power and clean apps still end at the planned step), chosen so that the chance of a
wrong finding over **all** looks, and of a wrong clear, is each at most alpha.

* **Leak rule (Kendall's S of ``y - L*x``)**: under "slope = limit" with independent,
  identically distributed noise the residuals are exchangeable, so the relative rank of
  each new reading among the earlier ones is uniform and independent of them (whatever
  the noise distribution: Gaussian, t(2), anything continuous).  S therefore moves by
  independent increments ``2k - n`` (``k`` uniform on ``0..n``), and the chance of
  crossing the boundary at any look is computed *exactly* by dynamic programming over S
  (:func:`crossing_rate`), with the other side's boundary absorbing paths as the procedure
  does.  :func:`look_alpha` is the largest per-look level whose crossing rate is <= alpha.
* **A/B signed-rank test**: adding a pair re-ranks the earlier ones, so W+ has no
  independent increments; the level is calibrated once per plan by a seeded simulation of
  the null (fair signs, random ranks: again distribution-free) over :data:`AB_PATHS` paths
  (:func:`pair_look_alpha`), counting a path when it crosses at any look.

Both are cached per plan.  Figures (realised rates of the whole procedure): docs/performance.md.
"""

from __future__ import annotations

import bisect
import random
from functools import lru_cache

from .stats import kendall_null, signed_rank_null

__all__ = ["AB_PATHS", "AB_FIRST_SHARE", "crossing_rate", "look_alpha", "pair_look_alpha", "kendall_critical", "w_upper_tails"]

#: simulated null paths calibrating the A/B per-look level (seeded: the level is the same every run)
AB_PATHS = 20_000


@lru_cache(maxsize=4096)
def _tails(n: int) -> tuple[float, ...]:
    """``tails[d]`` = P(discordant pairs <= d) for n untied readings: P(S >= pairs - 2d)."""
    counts = kendall_null((1,) * n)
    total = sum(counts)
    out, acc = [], 0
    for c in counts:
        acc += c
        out.append(acc / total)
    return tuple(out)


def kendall_critical(n: int, a: float) -> int | None:
    """Smallest S with P(S >= S_obs) <= a for n untied readings (None: a is out of reach)."""
    pairs = n * (n - 1) // 2
    best = None
    for d, p in enumerate(_tails(n)):
        if p <= a:
            best = pairs - 2 * d
        else:
            break
    return best


def crossing_rate(planned: int, bound: int, a: float) -> float:
    """Exact chance, under slope = limit, that the upper boundary (p_above <= a) is hit first at some
    look ``planned..bound``; by symmetry also the chance of a wrong clear."""
    dist = [1.0]  # dist[i] = P(S = i - offset), over the paths not yet stopped
    offset = 0
    hit = 0.0
    for n in range(2, bound + 1):
        step = n - 1  # the n-th reading: k of the n-1 earlier ones below it, S += 2k - (n-1)
        new = [0.0] * (len(dist) + 2 * step)
        share = 1.0 / n
        for i, p in enumerate(dist):
            if p:
                w = p * share
                for k in range(n):
                    new[i + 2 * k] += w
        dist, offset = new, offset + step
        if n < max(planned, 2):
            continue
        c = kendall_critical(n, a)
        if c is None:
            continue
        for i in range(len(dist)):
            s = i - offset
            if s >= c:
                hit += dist[i]
                dist[i] = 0.0
            elif s <= -c:
                dist[i] = 0.0
    return hit


@lru_cache(maxsize=256)
def look_alpha(planned: int, bound: int, alpha: float) -> float:
    """The per-look level of the leak rule's Kendall test for looks ``planned..bound``: the largest
    ``a <= alpha`` whose :func:`crossing_rate` is at most ``alpha``."""
    planned = max(planned, 2)
    bound = max(bound, planned)
    if bound == planned:
        return alpha
    # the rate only changes where a critical value changes: search the attainable tail probabilities
    candidates = sorted({p for n in range(planned, bound + 1) for p in _tails(n) if p <= alpha})
    lo, hi = 0, len(candidates) - 1
    best = 0.0
    while lo <= hi:
        mid = (lo + hi) // 2
        if crossing_rate(planned, bound, candidates[mid]) <= alpha:
            best = candidates[mid]
            lo = mid + 1
        else:
            hi = mid - 1
    return best


@lru_cache(maxsize=4096)
def w_upper_tails(n: int) -> tuple[float, ...]:
    """``t[w]`` = P(W+ >= w) for n untied pairs (sign patterns equally likely)."""
    counts = signed_rank_null(n)
    total = 2**n
    out = [0.0] * (len(counts) + 1)
    acc = 0
    for w in range(len(counts) - 1, -1, -1):
        acc += counts[w]
        out[w] = acc / total
    return tuple(out)


#: share of the A/B side alpha the planned look may spend (the rest is spread over the added looks)
AB_FIRST_SHARE = 2 / 3


@lru_cache(maxsize=64)
def pair_look_alpha(planned: int, bound: int, side_alpha: float) -> tuple[float, float]:
    """Per-look one-sided levels ``(at the planned look, at each added look)`` of the signed-rank test
    such that a wrong finding (or, by symmetry, a wrong clear) over all looks ``planned..bound`` has
    chance <= ``side_alpha``.

    The planned look gets the largest attainable level within :data:`AB_FIRST_SHARE` of
    ``side_alpha`` (with 6 pairs at 2.5%: all six differences on one side, p = 1/64), so a clear
    A/B result still ends at the planned pairs; the added looks share the rest at one level.
    """
    planned = max(planned, 1)
    bound = max(bound, planned)
    first_levels = [p for p in w_upper_tails(planned) if 0 < p <= AB_FIRST_SHARE * side_alpha]
    first = max(first_levels, default=0.0)
    if bound == planned:
        return side_alpha, side_alpha
    rng = random.Random(20261208)
    later_min = []  # per path not stopped at the planned look: the smallest p_greater over the added looks
    stopped = 0
    for _ in range(AB_PATHS):
        mags: list[float] = []  # |d| of the pairs so far, sorted
        pos: list[float] = []  # |d| of the positive ones, sorted
        w = 0  # W+: sum of the ranks (1-based) of the positive ones
        best = 1.0
        for n in range(1, bound + 1):
            m, up = rng.random(), rng.random() < 0.5
            r = bisect.bisect(mags, m)  # the new one's rank is r + 1; positives above it move up one
            w += len(pos) - bisect.bisect(pos, m)
            bisect.insort(mags, m)
            if up:
                w += r + 1
                bisect.insort(pos, m)
            if n == planned and w_upper_tails(n)[w] <= first:
                stopped += 1
                break
            if n > planned:
                best = min(best, w_upper_tails(n)[w])
        else:
            later_min.append(best)
    later_min.sort()
    allowed = int(side_alpha * AB_PATHS) - stopped  # at most this many more paths may cross
    candidates = sorted({p for n in range(planned + 1, bound + 1) for p in w_upper_tails(n) if p <= side_alpha})
    later = 0.0
    for p in candidates:
        if bisect.bisect_right(later_min, p) <= allowed:
            later = p
        else:
            break
    return first, later
