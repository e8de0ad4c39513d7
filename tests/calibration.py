"""Seeded simulators of the WHOLE sequential procedures (leak loop, A/B pair loop) on the series
shapes of issue 19, shared by tests/test_calibration.py and bench/verdict_calibration.py.

Each ``run_*`` does what ``IosMem.iterations()`` / the A/B protocol does: the planned steps, then
one more while the decision is undecided, up to the bound; at the bound undecided is inconclusive.
The series generators are simulations, not recordings: they stand for what the issue measured on
real allocators (lumpy growth, purges, one-off cache fills) and for heavy-tailed noise.
"""

from __future__ import annotations

import math
import random
from typing import Callable

from pytest_iosmem.verdict.decision import Decision
from pytest_iosmem.verdict.leak import judge_leak
from pytest_iosmem.verdict.paired import judge_shift

KB = 1000
MB = 1000 * KB
LIMIT = 128 * KB
BASE = 30 * MB

Series = Callable[[random.Random], list[float]]


def run_leak(ys: list[float], planned: int = 6, bound: int = 20, limit: float = LIMIT, alpha: float = 0.05) -> Decision:
    """The leak loop on a pre-drawn series of at least ``bound`` readings."""
    for n in range(planned, bound + 1):
        d = judge_leak(range(n), ys[:n], limit, alpha, planned, bound)
        if d.decided:
            return d
    return d.at_bound()


def run_ab(diffs: list[float], limit: float, planned: int = 6, bound: int = 20, confidence: float = 0.95) -> Decision:
    """The A/B pair loop on pre-drawn differences head - base."""
    for n in range(planned, bound + 1):
        d = judge_shift("ab-end", diffs[:n], limit, planned, confidence, max_steps=bound)
        if d.decided:
            return d
    return d.at_bound()


def t2(rng: random.Random) -> float:
    """Student t with 2 degrees of freedom (infinite variance)."""
    return rng.gauss(0, 1) / math.sqrt((rng.gauss(0, 1) ** 2 + rng.gauss(0, 1) ** 2) / 2)


def gaussian(slope: float, sd: float, n: int = 20) -> Series:
    return lambda rng: [BASE + slope * i + rng.gauss(0, sd) for i in range(n)]


def heavy(slope: float, scale: float, n: int = 20) -> Series:
    # a footprint cannot be negative: t(2)'s rare huge draws are cut at 0
    return lambda rng: [max(0.0, BASE + slope * i + scale * t2(rng)) for i in range(n)]


def lumpy(n: int = 20) -> Series:
    """A leak served from blocks of 0.5-1.5 MB the allocator takes every 2-5 iterations (mean ~285 KB
    per iteration; the true rate of each series is its lumps' total over the span)."""

    def make(rng: random.Random) -> list[float]:
        held, nxt, out = 0.0, rng.randint(0, 4), []
        for i in range(n):
            if i >= nxt:
                held += rng.uniform(0.5 * MB, 1.5 * MB)
                nxt = i + rng.randint(2, 5)
            out.append(BASE + held + rng.gauss(0, 16 * KB))
        return out

    return make


def purge(slope: float, n: int = 20, sd: float = 16 * KB, size: float | None = None) -> Series:
    """A linear leak with one permanent drop (2-10 MB unless ``size``) before a random reading."""

    def make(rng: random.Random) -> list[float]:
        at, drop = rng.randint(1, n - 1), rng.uniform(2 * MB, 10 * MB) if size is None else size
        return [BASE + slope * i - (drop if i >= at else 0) + rng.gauss(0, sd) for i in range(n)]

    return make


def rise(n: int = 20, at: int | None = None, size: float | None = None, sd: float = 16 * KB) -> Series:
    """A flat app that fills a cache once (up to 20x the limit unless ``size``) before a random
    reading (or reading index ``at``)."""

    def make(rng: random.Random) -> list[float]:
        where = rng.randint(1, n - 1) if at is None else at
        step = rng.uniform(0, 20 * LIMIT) if size is None else size
        return [BASE + (step if i >= where else 0) + rng.gauss(0, sd) for i in range(n)]

    return make


def ab_drift(shift: float, sd: float, drift: float, n: int = 20) -> Callable[[random.Random], list[float]]:
    """Differences of ABBA pairs on a machine that drifts ``drift`` bytes per trial."""

    def make(rng: random.Random) -> list[float]:
        out = []
        for k in range(n):
            first, second = 2 * k, 2 * k + 1
            base_t, head_t = (first, second) if k % 2 == 0 else (second, first)
            base = BASE + drift * base_t + rng.gauss(0, sd)
            head = BASE + shift + drift * head_t + rng.gauss(0, sd)
            out.append(head - base)
        return out

    return make


def outcomes(run: Callable[[list[float]], Decision], series: Series, runs: int, seed: int) -> list[Decision]:
    """One decision per seeded series."""
    return [run(series(random.Random(seed * 1_000_003 + i))) for i in range(runs)]


def binomial_ceiling(n: int, p: float, risk: float = 1e-3) -> int:
    """The largest count of ``n`` trials at rate ``p`` that is still plausible (P(more) <= risk)."""
    acc = 0.0
    for k in range(n + 1):
        acc += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if 1 - acc <= risk:
            return k
    return n
