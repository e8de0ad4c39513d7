"""The verdict engine: from the evidence so far to finding / clear / undecided (pure).

A gate decides; when the planned evidence does not decide, it asks for more
before it answers (Chromium's Pinpoint answers DIFFERENT / SAME / UNKNOWN and
then runs more attempts).  Every kind of evidence — the footprint series of a
leak check here, object counts per iteration and paired A/B differences
elsewhere — answers through the same small type, :class:`Decision`:

* ``finding``: clearly over the limit (the test fails on it);
* ``clear``: clearly not;
* ``undecided``: not yet; the measuring loop adds a step while it is below
  its bound (:class:`Plan`), and a decision still undecided at the bound is
  turned into ``inconclusive`` (:meth:`Decision.at_bound`) — never a silent pass.

The loop (``IosMem.iterations``) and the final analysis
(``analysis.analyse``) call the *same* function (:func:`judge_leak`, through
``analysis.leak_decision``) on the same readings, so the verdict reported is the one the loop stopped on.

The leak rule (:func:`judge_leak`), and why
--------------------------------------------
Readings ``y`` at iteration indices ``x`` (a missing reading leaves a gap),
limit ``L`` bytes per iteration, significance ``alpha``:

* p-value: Kendall's exact test of ``y - L*x`` (:func:`stats.exceeds`):
  ``p_above`` small means "grows faster than the limit", ``p_below`` small
  means "grows slower than the limit".  Testing against the limit, not
  against zero, is what keeps a running maximum that rose early (a
  high-water mark) from counting as a leak merely because it is monotonic.
* estimate (:func:`leak_estimate`): the smallest of three robust slopes —
  the repeated median (50% breakdown) of all readings, the repeated median
  of the later half (at least four readings), and the median of the
  successive slopes.  All three are right for a linear leak; a high-water
  mark still rising (a too-short warm-up, random transient loads) adds only
  *positive* steps, mostly early and in a few iterations, so it biases each
  of them only upward and the smallest is the least biased.  Simulated, a
  170 KB leak under 2.8–5.6 MB random transients on a 17 MB app with 8 KB
  reading noise, 2 warm-ups, 6 readings: 97% of estimates within ±25% (the
  smaller of the two repeated medians alone: 92%); median estimate/truth
  0.998–1.003 across the simulated cases (8 and 30 KB noise, 1–2 and
  2.8–5.6 MB transients).
* finding: ``p_above <= alpha`` over all readings, **and** over the later
  half alone (at least four readings, and enough for ``alpha`` to be
  reachable), **and** estimate > L: the later readings and most single steps
  still climb faster than the limit.  A leak persists; a flattening
  high-water mark does not.  (Simulated on 50 MB apps with 8–16 MB random
  transients per visit, the later-half test cut false findings from 10 to 1
  in 300 runs; leaks of twice the limit were still all found at the planned
  6 readings; one outlier in the later half can cost one or two more.)
* clear: ``p_below <= alpha`` (clearly slower than the limit).
* otherwise undecided.  One outlier at an end moves Kendall's S by at most
  ``2(n-1)`` of ``n(n-1)`` — at 6 readings it can keep S from significance,
  but each added reading dilutes it, while a linear leak keeps adding
  concordant pairs and a high-water mark adds discordant ones.  More
  iterations separate them; that is what the undecided outcome is for.

With ``n`` readings a rank test cannot give a p-value below ``1/n!``; when
``alpha`` is below that the decision says so in its notes (and stays
undecided, so the loop goes on if it may).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from statistics import median
from typing import Any, Iterable, Sequence

from .stats import check_finite, exceeds, iterations_for_alpha, repeated_median, sen_interval, smallest_p
from .units import format_size

__all__ = [
    "FINDING",
    "CLEAR",
    "UNDECIDED",
    "INCONCLUSIVE",
    "OUTCOMES",
    "Decision",
    "Plan",
    "judge_leak",
    "leak_estimate",
    "successive_slope",
]

FINDING = "finding"
CLEAR = "clear"
UNDECIDED = "undecided"
INCONCLUSIVE = "inconclusive"
OUTCOMES = (FINDING, CLEAR, UNDECIDED, INCONCLUSIVE)

#: fewest readings over which the leak estimate's later half is taken
LATE_WINDOW_MIN = 4


@dataclass(frozen=True)
class Decision:
    """What one kind of evidence says after ``steps`` steps (iterations, pairs).

    ``estimate`` / ``low`` / ``high``: the effect and its interval, in the
    evidence's unit (bytes per iteration for a leak); ``p``: the p-value of
    the finding direction; ``planned``: the steps planned before any were
    added; ``reason``: one line saying why this outcome.
    """

    check: str
    outcome: str
    steps: int
    planned: int
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    p: float | None = None
    limit: float | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}; one of {', '.join(OUTCOMES)}")

    @property
    def decided(self) -> bool:
        return self.outcome in (FINDING, CLEAR)

    @property
    def added(self) -> int:
        """Steps run beyond the planned ones to reach this decision."""
        return max(0, self.steps - self.planned)

    def at_bound(self) -> "Decision":
        """Undecided when no more steps may run: inconclusive (never a silent pass)."""
        if self.outcome != UNDECIDED:
            return self
        return dataclasses.replace(self, outcome=INCONCLUSIVE)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["notes"] = list(self.notes)
        for k in ("estimate", "low", "high"):  # JSON has no infinity
            if d[k] is not None and not math.isfinite(d[k]):
                d[k] = None
        d["added"] = self.added
        return d


@dataclass(frozen=True)
class Plan:
    """How many steps a sequential check plans, and the most it may run."""

    planned: int
    max_steps: int

    def __post_init__(self) -> None:
        if self.planned < 1:
            raise ValueError(f"planned steps must be >= 1, got {self.planned}")
        if self.max_steps < self.planned:
            raise ValueError(f"the bound ({self.max_steps}) is below the planned steps ({self.planned})")

    def wants_more(self, decisions: Iterable[Decision], steps: int) -> bool:
        """After the planned steps: go on while some check is undecided and the bound allows."""
        if steps < self.planned:
            return True
        return steps < self.max_steps and any(d.outcome == UNDECIDED for d in decisions)


def leak_estimate(ys: Sequence[float], xs: Sequence[float]) -> float:
    """The leak per iteration: the smallest of the repeated median of all readings, of the later
    half, and the median successive slope (see the module docstring for why the smallest)."""
    whole = repeated_median(ys, xs)
    if len(ys) < 3:
        return whole
    candidates = [whole, successive_slope(ys, xs)]
    w = max(LATE_WINDOW_MIN, (len(ys) + 1) // 2)
    if w < len(ys):
        candidates.append(repeated_median(ys[-w:], xs[-w:]))
    return min(candidates)


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
) -> Decision:
    """The leak decision for readings ``ys`` at iteration indices ``xs`` (see the module docstring)."""
    ys = check_finite(ys, "footprint")
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
    estimate = leak_estimate(ys, xs)
    low, high = sen_interval(ys, xs, alpha)
    test = exceeds(ys, xs, limit)
    common = dict(check="leak", steps=n, planned=planned, estimate=estimate, low=low, high=high, p=test.p_above, limit=limit)
    lim = format_size(limit)
    # the later half must say "faster than the limit" on its own too: a leak persists, a high-water
    # mark flattens (the window is long enough for alpha to be reachable at all)
    w = max(LATE_WINDOW_MIN, (n + 1) // 2, iterations_for_alpha(alpha))
    late = exceeds(ys[-w:], xs[-w:], limit) if w < n else test
    if test.p_above <= alpha and estimate > limit and late.p_above <= alpha:
        return Decision(outcome=FINDING, reason=f"grows faster than {lim} per iteration (p={test.p_above:.3g})", notes=tuple(notes), **common)
    if test.p_below <= alpha:
        return Decision(outcome=CLEAR, reason=f"grows slower than {lim} per iteration (p={test.p_below:.3g})", notes=tuple(notes), **common)
    if test.p_above <= alpha:
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
