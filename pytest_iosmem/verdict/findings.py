"""The outcome types of a test: a :class:`Finding` is one reason it fails, a :class:`Verdict`
holds the findings, the notes and every check's :class:`~.decision.Decision`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .decision import INCONCLUSIVE, Decision
from .metrics import Metrics

__all__ = ["FindingKind", "Finding", "Verdict", "HARD_FINDINGS", "baseline_accepted"]


class FindingKind:
    LEAK = "leak"
    GROWTH = "growth"
    PEAK = "peak"
    HEADROOM = "headroom"
    NO_RECLAIM = "no-reclaim"
    TERMINATED = "terminated"
    #: a sequential check still undecided at its bound, when the policy says inconclusive fails
    INCONCLUSIVE = "inconclusive"
    OBJECTS = "objects"  # a class whose instances grew in every measured iteration (see objects.py)
    CREEP = "creep"  # grew past --iosmem-max-creep since a reference in the history (history/creep.py)
    HISTORY = "history"  # the history could not be read, with --iosmem-history-unreachable=fail


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    measured: float | None = None
    limit: float | None = None


@dataclass
class Verdict:
    metrics: Metrics
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: final decisions of the sequential checks (leak; later objects, A/B): finding, clear or inconclusive
    decisions: list[Decision] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def inconclusive(self) -> list[Decision]:
        return [d for d in self.decisions if d.outcome == INCONCLUSIVE]

    def failure_message(self) -> str:
        return "\n".join(f.message for f in self.findings)

    def amend(self, text: str, kinds: tuple[str, ...] | None = None) -> None:
        """Add a line to the first finding (of ``kinds``, when given): attribution or saved evidence.

        Findings are frozen, so the finding is replaced; with no such finding nothing changes.
        """
        for i, f in enumerate(self.findings):
            if kinds is None or f.kind in kinds:
                self.findings[i] = replace(f, message=f.message + "\n" + text)
                return

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "metrics": self.metrics.to_dict(),
            "findings": [asdict(f) for f in self.findings],
            "notes": list(self.notes),
            "decisions": [d.to_dict() for d in self.decisions],
        }


#: findings that keep a test's numbers out of the baselines unless forced
HARD_FINDINGS = frozenset(
    {FindingKind.LEAK, FindingKind.PEAK, FindingKind.HEADROOM, FindingKind.NO_RECLAIM, FindingKind.TERMINATED,
     FindingKind.OBJECTS}
)


def baseline_accepted(kinds: set[str], outcome: str | None, body_error: bool, force: bool = False,
                      accept_growth: bool = False) -> bool:
    """Whether a test's numbers may become its baseline: a pass, or anything when forced.

    ``accept_growth``: a test whose only failure is growth over its old baseline (its body ran
    to the end) is accepted — the "this pull request grows memory on purpose" flow of
    ``iosmem baseline update``.  A leak or a broken hard limit is never accepted silently.
    """
    if force:
        return True
    if accept_growth and kinds == {FindingKind.GROWTH} and outcome == "failed" and not body_error:
        return True
    return not (kinds & HARD_FINDINGS) and outcome == "passed"
