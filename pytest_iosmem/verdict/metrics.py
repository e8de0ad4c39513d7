"""What was measured, reduced to numbers: start, end, peak, the leak series, reclaims (pure)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..timeline import EventKind, Timeline
from .leak import leak_estimate
from .stats import mann_kendall

__all__ = ["LeakEstimate", "Reclaim", "Metrics", "estimate_leak", "leak_readings", "compute_metrics"]


@dataclass(frozen=True)
class LeakEstimate:
    """Growth of the settled end-of-iteration footprints after warm-up.

    ``per_iteration``: the verdict engine's robust slope (repeated median,
    the smaller of all readings and the later half); ``p_value``: exact
    Mann–Kendall p of "it goes up at all"; ``xs``: the iteration index of
    each reading (a missing reading leaves a gap).  Whether it is a leak is
    the leak decision's answer (``Verdict.decisions``), which tests against
    the limit, not against zero.
    """

    per_iteration: float
    p_value: float
    n: int
    values: tuple[int, ...]
    kendall_s: int
    xs: tuple[int, ...] = ()


@dataclass(frozen=True)
class Reclaim:
    before: int
    after: int
    reclaimed: int
    settled: bool


@dataclass(frozen=True)
class Metrics:
    start: int | None
    end: int | None
    peak: int | None
    samples: int
    duration: float
    leak: LeakEstimate | None
    reclaims: tuple[Reclaim, ...]
    read_gaps: int
    terminated: str | None

    @property
    def reclaimed(self) -> int | None:
        """The smallest amount given back by any memory warning of the test."""
        return min(r.reclaimed for r in self.reclaims) if self.reclaims else None

    @property
    def snapshot_steps(self) -> int:
        """Iterations between the first and the last measured one, where attribution snapshots are
        taken (class histograms, allocation stacks): what their growth is divided by."""
        return max(1, self.leak.n - 1) if self.leak else 1

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reclaimed"] = self.reclaimed
        d["reclaims"] = [dict(r) for r in d["reclaims"]]
        if d["leak"] is not None:
            d["leak"]["values"] = list(d["leak"]["values"])
            d["leak"]["xs"] = list(d["leak"]["xs"])
        return d


def estimate_leak(values: list[int], xs: list[int] | None = None) -> LeakEstimate | None:
    """Slope and trend of the measured (post warm-up) iteration footprints at iteration indices ``xs``."""
    if len(values) < 2:
        return None
    xs = list(range(len(values))) if xs is None else list(xs)
    slope = leak_estimate(values, xs)
    trend = mann_kendall(values)
    return LeakEstimate(slope, trend.p_increasing, len(values), tuple(values), trend.s, tuple(xs))


def leak_readings(timeline: Timeline) -> tuple[list[int], list[int]]:
    """Iteration indices and settled footprints of the measured (post warm-up) iterations."""
    its = [it for it in timeline.iterations if not it.warmup]
    return [it.index for it in its], [it.footprint for it in its]


def compute_metrics(timeline: Timeline) -> Metrics:
    samples = timeline.samples
    xs, measured = leak_readings(timeline)
    reclaims = tuple(
        Reclaim(int(e.data["before"]), int(e.data["after"]), int(e.data["reclaimed"]), bool(e.data.get("settled", True)))
        for e in timeline.events_of(EventKind.MEMORY_WARNING)
        if {"before", "after", "reclaimed"} <= set(e.data)
    )
    terminated = timeline.events_of(EventKind.TERMINATED)
    end = timeline.end_footprint
    if end is None and samples:
        end = samples[-1].footprint
    return Metrics(
        start=samples[0].footprint if samples else None,
        end=end,
        peak=timeline.peak,
        samples=len(samples),
        duration=round(samples[-1].t - samples[0].t, 4) if len(samples) > 1 else 0.0,
        leak=estimate_leak(measured, xs),
        reclaims=reclaims,
        read_gaps=len(timeline.events_of(EventKind.READ_FAILED)),
        terminated=terminated[0].detail if terminated else None,
    )
