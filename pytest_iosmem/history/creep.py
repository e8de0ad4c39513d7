"""Creep over a test's history (pure): change points, the change since a reference, and the steps.

Change points come from **ruptures**' PELT (Killick et al. 2012: the optimal segmentation under a
penalty, exact, O(n) on average) with the l2 cost on the series in units of its noise.  Why
ruptures rather than E-Divisive (signal-processing-algorithms, Apache Otava): a test's history
here is a few dozen single numbers whose noise we can estimate robustly, so a penalised mean-shift
model says exactly what we want ("the level moved") with one tunable constant; ruptures is a small,
maintained, BSD-licensed library (numpy + scipy), where Otava is a whole CLI with its own config
and the E-Divisive package pulls in a larger stack; its permutation tests would also make every
gate slower and random.  The false-alarm rate on the project's own noise is measured by
bench/history_creep.py (docs/performance.md).

The gate itself needs no statistics beyond that: the reference level is the median of the segment
the reference run falls in, "now" is this run's value (the per-PR growth gate also judges one
run), and the run fails when now − reference is past ``--iosmem-max-creep`` (and past the noise
floor).  The change points only *name* the steps that added up.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Sequence

from ..units import format_size
from .store import SeriesPoint

__all__ = ["Since", "parse_since", "reference_index", "change_points", "noise_sigma", "levels", "Step", "Creep", "judge_creep"]

#: PELT's penalty is PENALTY × log(n) in units of the noise variance (BIC's is 2 log n for one
#: mean parameter; a larger constant trades late detection of small steps for fewer false ones)
PENALTY = 4.0
#: the noise is never taken below this fraction of the level: page-quantised footprints repeat
#: exact values, and a zero noise would make every page a change point
REL_NOISE_FLOOR = 0.001


@dataclass(frozen=True)
class Since:
    """The reference of the creep: the oldest run (``start``), N runs ago, a date, or a tag/commit."""

    kind: str
    value: str | int | None = None

    def describe(self) -> str:
        return {"start": "the oldest recorded run", "runs": f"{self.value} runs ago", "date": f"{self.value}",
                "ref": f"{self.value}"}[self.kind]


def parse_since(text: str | None) -> Since:
    """``start`` (default), ``N`` or ``N runs``, a date ``YYYY-MM-DD``, or a tag or commit (``tag:v2.1``
    or the bare name); a ValueError saying what is accepted."""
    raw = (text or "start").strip()
    low = raw.lower()
    if low in ("start", "all", "first"):
        return Since("start")
    m = re.fullmatch(r"(?:runs:)?(\d+)(?:\s*runs?)?", low)
    if m:
        n = int(m.group(1))
        if n < 1:
            raise ValueError(f"{raw!r}: a number of runs must be at least 1")
        return Since("runs", n)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD)") from None
        return Since("date", raw)
    name = raw.split(":", 1)[1] if low.startswith(("tag:", "commit:")) else raw
    if not name or any(c.isspace() for c in name):
        raise ValueError(f"{raw!r}: give start, N runs, a date YYYY-MM-DD, or a tag or commit")
    return Since("ref", name)


def reference_index(points: Sequence[SeriesPoint], since: Since) -> tuple[int, str | None]:
    """Which recorded run is the reference, and a note when the reference was not found as asked."""
    if not points:
        raise ValueError("no recorded runs")
    if since.kind == "start":
        return 0, None
    if since.kind == "runs":
        n = int(since.value or 1)
        return max(0, len(points) - n), (None if n <= len(points) else f"only {len(points)} runs recorded")
    if since.kind == "date":
        for i, p in enumerate(points):
            if p.created[:10] >= str(since.value):
                return i, None
        return len(points) - 1, f"no run on or after {since.value}; the newest run is the reference"
    name = str(since.value)
    for i, p in enumerate(points):
        if p.tag == name or (p.commit and len(name) >= 4 and p.commit.startswith(name)):
            return i, None
    return 0, f"no run tagged or at commit {name}; the oldest run is the reference"


def noise_sigma(values: Sequence[float]) -> float:
    """The noise of a series, robust to its steps: from the lower quartile of the successive
    differences' sizes (a quarter of them may be steps, and a short history has few), with a floor
    of ``REL_NOISE_FLOOR`` of its level.  For Gaussian noise σ, |difference| has lower quartile
    0.3186·√2·σ."""
    level = abs(median(values)) if values else 0.0
    diffs = sorted(abs(b - a) for a, b in zip(values, values[1:]))
    q25 = diffs[(len(diffs) - 1) // 4] if diffs else 0.0
    return max(q25 / (0.3186 * math.sqrt(2)), REL_NOISE_FLOOR * level, 1.0)


def change_points(values: Sequence[float], sigma: float | None = None) -> list[int]:
    """Indices where a new level starts: PELT over the series in units of its noise, then tidied.

    PELT runs with segments of one point allowed, so a step at the newest run is seen at once
    (with segments of two, the newest point would drag the last change point one run early).
    A one-point segment anywhere else is an outlier, not a level: it joins its closer neighbour;
    neighbours whose levels differ by less than ``3σ`` are one level.  Without a given ``sigma``
    the noise is estimated from successive differences (which steps inflate when they are
    frequent), then again from the residuals around the levels found, while that shrinks it.
    """
    if len(values) < 2:
        return []
    if sigma is not None:
        return _segment(values, sigma)
    sigma = noise_sigma(values)
    cps = _segment(values, sigma)
    for _ in range(4):  # each missed step inflates the residuals: refine while the noise shrinks
        level = levels(values, cps)
        residual = 1.4826 * median(abs(v - m) for v, m in zip(values, level))
        refined = max(residual, REL_NOISE_FLOOR * abs(median(values)), 1.0)
        if refined >= sigma:
            break
        sigma, cps = refined, _segment(values, refined)
    return cps


def _segment(values: Sequence[float], sigma: float) -> list[int]:
    import numpy as np  # lazy: only a run with a history judges creep
    import ruptures as rpt

    n = len(values)
    z = (np.asarray(values, dtype=float) - median(values)) / sigma
    algo = rpt.Pelt(model="l2", min_size=1, jump=1).fit(z.reshape(-1, 1))
    cps = [int(b) for b in algo.predict(pen=PENALTY * math.log(max(n, 3)))[:-1]]
    return _tidy(list(values), cps, sigma)


def _tidy(values: list[float], cps: list[int], sigma: float) -> list[int]:
    n = len(values)
    changed = True
    while changed and cps:
        changed = False
        segs = segments(n, cps)
        levels = [median(values[a:b]) for a, b in segs]
        for i, (a, b) in enumerate(segs[:-1]):  # the newest segment may be one point: this run's step
            if b - a == 1:
                if i == 0:
                    drop = 0
                else:
                    drop = i - 1 if abs(levels[i] - levels[i - 1]) <= abs(levels[i] - levels[i + 1]) else i
                del cps[drop]
                changed = True
                break
        if changed:
            continue
        for i in range(len(segs) - 1):
            if abs(levels[i + 1] - levels[i]) < 3 * sigma:
                del cps[i]
                changed = True
                break
    return cps


def segments(n: int, cps: Sequence[int]) -> list[tuple[int, int]]:
    bounds = [0, *cps, n]
    return list(zip(bounds, bounds[1:]))


def levels(values: Sequence[float], cps: Sequence[int]) -> list[float]:
    """Each value's level: the median of its segment between change points."""
    out: list[float] = []
    for a, b in segments(len(values), cps):
        out += [median(values[a:b])] * (b - a)
    return out


@dataclass(frozen=True)
class Step:
    """One change of level: where it started (the run's commit), and its size."""

    run_id: int | None
    commit: str | None
    created: str | None
    size: float
    fraction: float
    this_run: bool = False

    def describe(self) -> str:
        where = "this run" if self.this_run else f"run {self.run_id}"
        commit = f" {self.commit[:12]}" if self.commit else ""
        day = f" {self.created[:10]}" if self.created and not self.this_run else ""
        return f"{format_size(self.size, signed=True)} ({self.fraction:+.1%}) at {where}{commit}{day}"


@dataclass(frozen=True)
class Creep:
    metric: str
    reference: SeriesPoint
    reference_level: float
    now: float
    limit: float
    steps: tuple[Step, ...]
    change_points: tuple[int, ...]
    failed: bool
    note: str | None = None

    @property
    def change(self) -> float:
        return self.now - self.reference_level

    @property
    def fraction(self) -> float:
        return self.change / self.reference_level if self.reference_level else 0.0

    def summary(self) -> str:
        ref = self.reference
        commit = f" {ref.commit[:12]}" if ref.commit else ""
        return (f"creep: {self.metric} {format_size(self.change, signed=True)} ({self.fraction:+.1%}) since run "
                f"{ref.run_id}{commit} ({ref.created[:10]}), limit {self.limit:.1%}"
                + (f"; {self.note}" if self.note else ""))

    def message(self) -> str:
        lines = [self.summary().replace("creep: ", "creep: past the limit: ", 1)]
        if self.steps:
            largest = max(abs(s.fraction) for s in self.steps)
            lines.append(f"  the steps that added up (largest {largest:.1%}):")
            lines.extend(f"    {s.describe()}" for s in self.steps)
        return "\n".join(lines)


def judge_creep(history: Sequence[SeriesPoint], now: float, since: Since, limit: float, noise_floor: float = 0.0,
                metric: str = "end", commit: str | None = None) -> Creep | None:
    """This run's ``now`` against the history's level at the reference; None with no history."""
    if not history:
        return None
    ref, note = reference_index(history, since)
    values = [p.value for p in history] + [now]
    cps = change_points(values)
    segs = segments(len(values), cps)
    ref_seg = next(i for i, (a, b) in enumerate(segs) if a <= ref < b)
    levels = [median(values[a:b]) for a, b in segs]
    ref_level = levels[ref_seg]
    steps: list[Step] = []
    for k in range(ref_seg + 1, len(segs)):
        start = segs[k][0]
        size = levels[k] - levels[k - 1]
        fraction = size / levels[k - 1] if levels[k - 1] else 0.0
        if start == len(history):
            steps.append(Step(None, commit, None, size, fraction, this_run=True))
        else:
            p = history[start]
            steps.append(Step(p.run_id, p.commit, p.created, size, fraction))
    change = now - ref_level
    failed = ref_level > 0 and change / ref_level > limit and change > noise_floor
    return Creep(metric, history[ref], ref_level, now, limit, tuple(steps), tuple(c for c in cps if c < len(history)),
                 failed, note)
