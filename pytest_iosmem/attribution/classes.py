"""Who allocated: the classes that grew between two class histograms. Pure.

The histograms come from ``heap PID`` on a simulator, a memory graph on a
device, or the reference app's ``/iosmem/objects``; all of them are lists
of :class:`~pytest_iosmem.targets.base.ClassStat`.  Taken at the first and
the last measured iteration, their difference divided by the iterations
between them is the table a developer needs to find the retain cycle:
"one more TimerDetailViewController per visit".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..values import ClassStat
from ..units import format_size

__all__ = ["ClassGrowth", "grown_classes", "format_grown_classes", "grown_classes_text"]


@dataclass(frozen=True)
class ClassGrowth:
    """One class that grew: its counts and bytes at both snapshots, and the growth per iteration."""

    name: str
    count_before: int
    count_after: int
    bytes_before: int
    bytes_after: int
    count_per_iteration: float
    bytes_per_iteration: float


def grown_classes(
    before: Sequence[ClassStat], after: Sequence[ClassStat], iterations: int, top: int = 10
) -> list[ClassGrowth]:
    """Classes whose bytes or instance count grew, most bytes grown first, at most ``top``.

    ``iterations`` is how many scenario repetitions lie between the two
    snapshots; growth is divided by it, because "one more ViewController per
    visit" is the sentence that finds a retain cycle.  Classes only in
    ``before`` (freed) or that shrank are not listed.  Ties: more instances
    first, then by name, so the table is stable between runs.
    """
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    old = {s.name: s for s in before}
    rows = []
    for s in after:
        o = old.get(s.name, ClassStat(s.name, 0, 0))
        if s.bytes > o.bytes or s.count > o.count:
            rows.append(
                ClassGrowth(
                    s.name, o.count, s.count, o.bytes, s.bytes,
                    (s.count - o.count) / iterations, (s.bytes - o.bytes) / iterations,
                )
            )
    rows.sort(key=lambda r: (-r.bytes_per_iteration, -r.count_per_iteration, r.name))
    return rows[:top]


def format_grown_classes(rows: Sequence[ClassGrowth]) -> str:
    """A plain-text table (tabulate's "simple" format) for failure messages and the CLI."""
    from tabulate import tabulate

    return tabulate(
        [
            [r.name, f"{r.count_per_iteration:+.1f}", format_size(r.bytes_per_iteration, signed=True),
             f"{r.count_before} -> {r.count_after}"]
            for r in rows
        ],
        headers=("class", "instances/iter", "bytes/iter", "instances"),
        tablefmt="simple",
        disable_numparse=True,
    )


def grown_classes_text(rows: Sequence[ClassGrowth], top: int = 5) -> str:
    """The lines a leak or growth failure gets: the classes that grew most, per iteration."""
    lines = ["  grown classes (per iteration):"]
    for r in rows[:top]:
        lines.append(f"    {r.name}: {r.count_per_iteration:+.1f} instances, {format_size(r.bytes_per_iteration, signed=True)}")
    return "\n".join(lines)
