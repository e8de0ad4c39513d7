"""The record of one gated test: typed (:class:`GateResult`) until it leaves the test, then a dict.

:meth:`GateResult.to_dict` is the one serialiser: the dict rides on the call report
(pytest-xdist carries it to the controller; execnet and the JSON report need plain
JSON), and every report reads the same fields:

``nodeid, outcome, profile, policy, jetsam_limit, baseline, baseline_origin,
metrics, findings, notes, decisions, attribution, stacks, timeline, artifacts, host,
worker`` and, when they ran, ``objects`` and ``ab``.  The functions below the class
read that serialised form (reports, ``iosmem baseline update`` read it from JSON too).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .verdict.findings import FindingKind, baseline_accepted
from .values import Baseline

if TYPE_CHECKING:
    from .attribution.classes import ClassGrowth
    from .attribution.stacks import StackGrowth
    from .timeline import Timeline
    from .values import JetsamLimit, Profile
    from .verdict.ab import ABSummary
    from .verdict.findings import Verdict
    from .verdict.objects import ObjectCheck
    from .verdict.policy import Policy

__all__ = ["GateResult", "baseline_candidate", "verdict_label", "is_failure", "inconclusive_checks"]


@dataclass
class GateResult:
    """What judging one test produced: the verdict and everything every report shows beside it."""

    nodeid: str
    profile: "Profile"
    policy: "Policy"
    verdict: "Verdict"
    timeline: "Timeline"
    baseline: Baseline | None = None
    jetsam_limit: "JetsamLimit | None" = None
    body_error: str | None = None
    attribution: "list[ClassGrowth]" = field(default_factory=list)
    stacks: "list[StackGrowth]" = field(default_factory=list)
    objects: "ObjectCheck | None" = None
    artifacts: list[str] = field(default_factory=list)
    host: str | None = None
    worker: str | None = None
    ab: "ABSummary | None" = None
    #: passed/failed from the verdict; the A/B protocol sets it from its last call report
    outcome: str = ""

    def __post_init__(self) -> None:
        if not self.outcome:
            self.outcome = "passed" if self.verdict.passed else "failed"

    @property
    def failed(self) -> bool:
        return bool(self.verdict.findings)

    @property
    def terminated(self) -> bool:
        return any(f.kind == FindingKind.TERMINATED for f in self.verdict.findings)

    @property
    def kinds(self) -> list[str]:
        """The finding kinds, in order (a demonstration's xfail checks its own kind is among them)."""
        return [f.kind for f in self.verdict.findings]

    def failure_message(self) -> str:
        return self.verdict.failure_message()

    def to_dict(self) -> dict[str, Any]:
        v = self.verdict.to_dict()
        b = self.baseline
        d: dict[str, Any] = {
            "nodeid": self.nodeid,
            "body_error": self.body_error,
            "outcome": self.outcome,
            "profile": self.profile.to_dict(),
            "policy": self.policy.to_dict(),
            "jetsam_limit": None if self.jetsam_limit is None else asdict(self.jetsam_limit),
            "baseline": None if b is None else b.to_dict(),
            "baseline_origin": None if b is None or b.origin is None else b.origin.to_dict(),
            "metrics": v["metrics"],
            "findings": v["findings"],
            "notes": v["notes"],
            "decisions": v["decisions"],
            "attribution": [asdict(row) for row in self.attribution],
            "stacks": [row.to_dict() for row in self.stacks],
            "artifacts": list(self.artifacts),
            "timeline": self.timeline.to_dict(),
            "host": self.host,
            "worker": self.worker,
        }
        if self.objects is not None:
            d["objects"] = self.objects.to_dict()
        if self.ab is not None:
            d["ab"] = self.ab.to_dict()
        return d


def baseline_candidate(result: dict[str, Any], force: bool = False, accept_growth: bool = False) -> Baseline | None:
    """The numbers a result would store as a baseline, or None when they must not be accepted.

    ``accept_growth``: a test whose only failure is growth over its old
    baseline (its body ran to the end) is accepted — the "this pull request
    grows memory on purpose" flow of ``iosmem baseline update``.
    """
    m = result.get("metrics") or {}
    if m.get("end") is None or m.get("peak") is None:
        return None
    kinds = {f["kind"] for f in result.get("findings", [])}
    if not baseline_accepted(kinds, result.get("outcome"), bool(result.get("body_error")), force, accept_growth):
        return None
    leak = m.get("leak") or {}
    # the same check as a baseline read from a file (a NaN or "12MB" in a report is a BaselineError naming it)
    found = Baseline.from_dict(
        {"end": m["end"], "peak": m["peak"], "reclaimed": m.get("reclaimed"),
         "leak_per_iteration": None if not leak else leak.get("per_iteration"),
         "iterations": None if not leak else leak.get("n")},
        f"test {result.get('nodeid', '?')}",
    )
    if found.leak_per_iteration is None:
        return found
    return replace(found, leak_per_iteration=round(found.leak_per_iteration))


def is_failure(result: dict[str, Any]) -> bool:
    """A gate that failed and was not expected to (xfail demonstrations are not failures)."""
    return bool(result.get("findings")) and result.get("outcome") != "xfailed"


def inconclusive_checks(result: dict[str, Any]) -> list[str]:
    """The sequential checks (``leak``, ...) still undecided at their bound: never shown as a plain pass.

    Only for a test that ran to its end: an interrupted, skipped or xfailed
    test is shown as that, whatever its loop had reached.
    """
    if result.get("outcome") not in (None, "passed", "failed"):
        return []
    return [d["check"] for d in result.get("decisions") or () if d.get("outcome") == "inconclusive"]


def verdict_label(result: dict[str, Any]) -> str:
    if result.get("ab"):
        return _ab_label(result)
    kinds = []
    undecided = ",".join(inconclusive_checks(result))
    for f in result.get("findings", []):
        kind = f"inconclusive {undecided}" if f["kind"] == FindingKind.INCONCLUSIVE and undecided else f["kind"]
        if kind not in kinds:
            kinds.append(kind)
    if kinds and result.get("outcome") == "xfailed":
        return "xfail " + ",".join(kinds)
    if kinds:
        return "FAIL " + ",".join(kinds)
    if result.get("outcome") not in (None, "passed"):
        return result["outcome"]
    if undecided:
        return f"inconclusive {undecided}"
    if result.get("baseline") is None:
        return "pass (no baseline)"
    origin = result.get("baseline_origin") or {}
    if origin.get("profile") and origin.get("profile") != origin.get("current"):
        return f"pass ({origin.get('rule', 'nearest')} baseline)"
    return "pass"


def _ab_label(result: dict[str, Any]) -> str:
    """An A/B run's verdict: it always says A/B, and which build failed."""
    ab = result["ab"]
    kinds = []
    for f in result.get("findings", []):
        if f["kind"] not in kinds:
            kinds.append(f["kind"])
    if kinds:
        return ("A/B xfail " if result.get("outcome") == "xfailed" else "A/B FAIL ") + ",".join(kinds)
    if result.get("outcome") not in (None, "passed"):
        return f"A/B {result['outcome']}"
    if ab.get("outcome") == "inconclusive":
        return "A/B inconclusive"
    return "A/B pass"
