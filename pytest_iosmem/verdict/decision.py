"""One check's answer, and how many steps a sequential check may take to reach it.

Every kind of evidence — the footprint series of the leak rule, object counts per
iteration, paired A/B differences — answers through :class:`Decision`: ``finding``,
``clear``, or ``undecided`` (the loop adds a step while :class:`Plan` allows), which
becomes ``inconclusive`` at the bound (:meth:`Decision.at_bound`): never a silent pass.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["FINDING", "CLEAR", "UNDECIDED", "INCONCLUSIVE", "OUTCOMES", "Decision", "Plan"]

FINDING = "finding"
CLEAR = "clear"
UNDECIDED = "undecided"
INCONCLUSIVE = "inconclusive"
OUTCOMES = (FINDING, CLEAR, UNDECIDED, INCONCLUSIVE)


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
