"""Paired statistics for A/B runs: head − base differences, their shift, its interval, a decision.

Pure: numbers in, numbers and a :class:`Decision` out; no I/O, no clock.

One A/B *pair* is a base trial and a head trial run back to back (in
alternating order), so slow drift of the machine hits both.  For each metric
(settled end footprint, peak, leak slope, reclaim) the evidence is the list
of differences ``d_i = head_i − base_i``.

* **shift**: the Hodges–Lehmann estimate, the median of the Walsh averages
  ``(d_i + d_j) / 2, i <= j``.  It is the estimate that goes with the
  signed-rank test: robust (29% breakdown) and, unlike the mean, not moved by
  one pair whose trial hit a hiccup.
* **interval**: the exact distribution-free interval that inverts the
  Wilcoxon signed-rank test: the k-th smallest and k-th largest Walsh
  averages, k from the exact null distribution of W+ (no normal
  approximation; with n pairs the widest interval exists from n = 6 at 95%).
  Its coverage is at least the nominal one for continuous data; footprints
  are page multiples, so ties are possible and the coverage then approximate.
* **rank test**: the exact signed-rank test of ``d − limit`` (zeros dropped,
  as in Wilcoxon's original; midranks for ties, the exact distribution over
  the 2^n sign patterns by dynamic programming on doubled ranks).

The decision (same shape and outcome names as the leak verdict engine):

* ``finding``: the whole interval is above the limit (head exceeds base by more
  than the limit allows, at the chosen confidence);
* ``clear``: the whole interval is at or below the limit;
* ``undecided``: the interval straddles the limit: run another pair while
  the bound allows; at the bound it becomes ``inconclusive`` — never a pass.

The two one-sided errors are each at most ``alpha/2`` over *all* looks: with a
plan (``max_steps``) each look tests, and takes its interval, at the per-look
level of :func:`.sequential.pair_look_alpha` (a repeated confidence interval:
the intervals of all looks cover the shift together with the stated
confidence).  Measured rates: bench/verdict_calibration.py, docs/performance.md.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import median
from typing import Sequence

# A/B differences are one more kind of evidence answering through the engine's Decision.
from .decision import CLEAR, FINDING, INCONCLUSIVE, UNDECIDED, Decision
from .stats import signed_rank_null as _null_counts

__all__ = [
    "walsh_averages", "hodges_lehmann", "hl_interval", "SignedRank", "signed_rank", "judge_shift", "combine", "walsh_counts", "shift_tail",
    "min_pairs_for",
]

def _finite(values: Sequence[float], what: str) -> list[float]:
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{what}: {v!r} is not a finite number")
        out.append(float(v))
    return out


def walsh_averages(d: Sequence[float]) -> list[float]:
    """All ``(d_i + d_j) / 2`` for ``i <= j``, sorted: n(n+1)/2 of them."""
    d = _finite(d, "differences")
    return sorted((d[i] + d[j]) / 2 for i in range(len(d)) for j in range(i, len(d)))


def hodges_lehmann(d: Sequence[float]) -> float:
    """The Hodges–Lehmann shift: the median of the Walsh averages."""
    if not d:
        raise ValueError("no differences")
    return median(walsh_averages(d))


def _k_for(n: int, confidence: float) -> int:
    """The largest k with P(W+ <= k-1) <= (1 - confidence)/2 under the null (0: no finite interval)."""
    counts = _null_counts(n)
    total = 2**n
    tail = (1 - confidence) / 2
    k, cum = 0, 0
    for w, c in enumerate(counts):
        cum += c
        if cum / total <= tail + 1e-12:
            k = w + 1
        else:
            break
    return k


def min_pairs_for(confidence: float) -> int:
    """Fewest pairs for which the exact interval at ``confidence`` is finite (6 at 95%)."""
    n = 1
    while _k_for(n, confidence) == 0:
        n += 1
    return n


def hl_interval(d: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """The exact distribution-free interval for the shift: ``(W_(k), W_(M+1-k))`` of the Walsh averages.

    ``(-inf, inf)`` when n pairs are too few for this confidence (n < 6 at 95%).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence!r} must be between 0 and 1")
    w = walsh_averages(d)
    k = _k_for(len(d), confidence)
    if k == 0 or not w:
        return -math.inf, math.inf
    return w[k - 1], w[len(w) - k]


@dataclass(frozen=True)
class SignedRank:
    """The exact Wilcoxon signed-rank test: W+ (in midranks), n without zeros, one-sided p-values."""

    w_plus: float
    n: int
    p_greater: float  # P(W+ >= observed): small when the differences are mostly positive
    p_less: float  # P(W+ <= observed)


def signed_rank(d: Sequence[float]) -> SignedRank:
    """Exact signed-rank test of "the differences are symmetric about 0" (zeros dropped, midranks for ties)."""
    d = [v for v in _finite(d, "differences") if v != 0]
    n = len(d)
    if n == 0:
        return SignedRank(0.0, 0, 1.0, 1.0)
    order = sorted(range(n), key=lambda i: abs(d[i]))
    doubled = [0] * n  # twice the midrank: an integer even with ties
    i = 0
    while i < n:
        j = i
        while j + 1 < n and abs(d[order[j + 1]]) == abs(d[order[i]]):
            j += 1
        for t in range(i, j + 1):
            doubled[order[t]] = i + j + 2  # (i+1 + j+1) = 2 * midrank
        i = j + 1
    observed = sum(r for r, v in zip(doubled, d) if v > 0)
    counts = [1] + [0] * sum(doubled)
    top = 0
    for r in doubled:
        for s in range(top, -1, -1):
            if counts[s]:
                counts[s + r] += counts[s]
        top += r
    total = 2**n
    p_greater = sum(counts[observed:]) / total
    p_less = sum(counts[: observed + 1]) / total
    return SignedRank(observed / 2, n, p_greater, p_less)


def walsh_counts(d: Sequence[float], limit: float) -> tuple[int, int]:
    """How many Walsh averages lie above ``limit``, and how many at or below it.

    These are the statistics the interval inverts (for untied data the first is W+ of
    ``d - limit``): p-values taken from them agree with the interval also under ties.
    """
    w = walsh_averages(d)
    above = len(w) - bisect.bisect_right(w, limit)
    return above, len(w) - above


def shift_tail(n: int, count: int) -> float:
    """P(W+ >= count) for n untied pairs under "symmetric about the limit"."""
    from .sequential import w_upper_tails

    tails = w_upper_tails(n)
    return tails[count] if count < len(tails) else 0.0


def judge_shift(
    check: str,
    diffs: Sequence[float],
    limit: float,
    planned: int,
    confidence: float = 0.95,
    describe=None,
    max_steps: int | None = None,
) -> Decision:
    """The decision for one metric's differences ``head − base`` against ``limit`` (head may exceed base by that).

    ``max_steps``: the most pairs the loop may run; each look from ``planned`` on then tests at
    the per-look level of :func:`.sequential.pair_look_alpha`, so that a wrong finding (and a
    wrong clear) over all looks is each at most ``(1 - confidence) / 2``.  None: one look.
    The p-values count the Walsh averages above (at or below) the limit, the interval is the same
    test inverted: ``finding`` exactly when ``low > limit``, ``clear`` when ``high <= limit``.
    ``describe(x)`` formats an amount for the reason line (bytes by default).
    """
    diffs = _finite(diffs, check)
    fmt = describe or (lambda x: f"{x:+.0f}")
    n = len(diffs)
    if n == 0:
        return Decision(check, UNDECIDED, 0, planned, limit=limit, reason="no pairs yet")
    side = (1 - confidence) / 2
    if max_steps is None:
        level = side
    else:
        from .sequential import pair_look_alpha

        first, later = pair_look_alpha(planned, max_steps, side)
        level = first if n <= planned else later
    look_confidence = 1 - 2 * level
    estimate = hodges_lehmann(diffs)
    low, high = hl_interval(diffs, look_confidence) if level > 0 else (-math.inf, math.inf)
    above, at_or_below = walsh_counts(diffs, limit)
    p = shift_tail(n, above)
    p_below = shift_tail(n, at_or_below)
    common = dict(check=check, steps=n, planned=planned, estimate=estimate, low=low, high=high, p=p, limit=limit)
    # a repeated confidence interval: taken at the per-look level, the intervals of all looks cover the
    # shift together with the stated confidence, so it is labelled with that, not the per-look one
    level_text = f"{confidence * 100:g}%"
    if p <= level:
        return Decision(outcome=FINDING, reason=f"the {level_text} interval lies above the limit {fmt(limit)}", **common)
    if p_below <= level:
        return Decision(outcome=CLEAR, reason=f"the {level_text} interval lies at or below the limit {fmt(limit)}", **common)
    if not math.isfinite(low):
        need = f" (at least {min_pairs_for(look_confidence)} are needed)" if level > 0 else ""
        why = f"{n} pair(s) give no finite {level_text} interval{need}"
    else:
        why = f"the {level_text} interval [{fmt(low)}, {fmt(high)}] straddles the limit {fmt(limit)}"
    return Decision(outcome=UNDECIDED, reason=why, **common)


def combine(decisions: Sequence[Decision]) -> str:
    """One outcome for a test: a finding if any check found one, else undecided/inconclusive if any is, else clear."""
    outcomes = {d.outcome for d in decisions}
    for outcome in (FINDING, UNDECIDED, INCONCLUSIVE):
        if outcome in outcomes:
            return outcome
    return CLEAR
