"""The record of one gated test, as it travels from an xdist worker to reports.

A plain JSON-serialisable dict (execnet and the JSON report both need that),
built in one place so every report reads the same fields:

``nodeid, outcome, profile, policy, jetsam_limit, baseline, metrics,
findings, notes, attribution, stacks, timeline, artifacts``.
"""

from __future__ import annotations

from typing import Any

from .analysis import FindingKind, Verdict
from .baseline import Baseline
from .policy import Policy
from .targets.base import JetsamLimit, Profile
from .timeline import Timeline

__all__ = ["build_result", "HARD_FINDINGS", "baseline_candidate", "verdict_label", "is_failure"]

#: findings that keep a test's numbers out of the baselines unless forced
HARD_FINDINGS = frozenset(
    {FindingKind.LEAK, FindingKind.PEAK, FindingKind.HEADROOM, FindingKind.NO_RECLAIM, FindingKind.TERMINATED}
)


def build_result(
    nodeid: str,
    profile: Profile,
    policy: Policy,
    verdict: Verdict,
    baseline: Baseline | None,
    timeline: Timeline,
    jetsam_limit: JetsamLimit | None = None,
    attribution: list[dict[str, Any]] | None = None,
    artifacts: list[str] | None = None,
    body_error: str | None = None,
    stacks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    d = verdict.to_dict()
    return {
        "nodeid": nodeid,
        "body_error": body_error,
        "outcome": "passed" if verdict.passed else "failed",
        "profile": profile.to_dict(),
        "policy": policy.to_dict(),
        "jetsam_limit": None if jetsam_limit is None else {"bytes": jetsam_limit.bytes, "source": jetsam_limit.source},
        "baseline": None if baseline is None else baseline.to_dict(),
        "metrics": d["metrics"],
        "findings": d["findings"],
        "notes": d["notes"],
        "attribution": attribution or [],
        "stacks": stacks or [],
        "artifacts": artifacts or [],
        "timeline": timeline.to_dict(),
    }


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
    grew_only = (
        accept_growth and kinds == {FindingKind.GROWTH} and result.get("outcome") == "failed"
        and not result.get("body_error")
    )
    if not force and not grew_only and (kinds & HARD_FINDINGS or result.get("outcome") != "passed"):
        return None
    leak = m.get("leak") or {}
    return Baseline(
        end=int(m["end"]),
        peak=int(m["peak"]),
        leak_per_iteration=None if not leak else round(float(leak["per_iteration"])),
        reclaimed=m.get("reclaimed"),
        iterations=None if not leak else int(leak["n"]),
    )


def is_failure(result: dict[str, Any]) -> bool:
    """A gate that failed and was not expected to (xfail demonstrations are not failures)."""
    return bool(result.get("findings")) and result.get("outcome") != "xfailed"


def verdict_label(result: dict[str, Any]) -> str:
    kinds = []
    for f in result.get("findings", []):
        if f["kind"] not in kinds:
            kinds.append(f["kind"])
    if kinds and result.get("outcome") == "xfailed":
        return "xfail " + ",".join(kinds)
    if kinds:
        return "FAIL " + ",".join(kinds)
    if result.get("outcome") not in (None, "passed"):
        return result["outcome"]
    if result.get("baseline") is None:
        return "pass (no baseline)"
    return "pass"
