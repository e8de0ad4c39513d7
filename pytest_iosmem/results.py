"""The record of one gated test, as it travels from an xdist worker to reports.

A plain JSON-serialisable dict (execnet and the JSON report both need that),
built in one place so every report reads the same fields:

``nodeid, outcome, profile, policy, jetsam_limit, baseline, baseline_origin,
metrics, findings, notes, decisions, attribution, stacks, timeline, artifacts``, and
``host``/``worker``: which machine and xdist worker measured it (SSH gateways
run workers on other Macs; the profile stays the same whichever host ran the
test). ``baseline_origin``: the stored profile the baseline came from, by
which rule and why (see :mod:`pytest_iosmem.nearest`).
"""

from __future__ import annotations

from typing import Any

from .analysis import FindingKind, Verdict
from .baseline import Baseline
from .policy import Policy
from .targets.base import JetsamLimit, Profile
from .timeline import Timeline

__all__ = ["build_result", "HARD_FINDINGS", "baseline_candidate", "verdict_label", "is_failure", "inconclusive_checks"]

#: findings that keep a test's numbers out of the baselines unless forced
HARD_FINDINGS = frozenset(
    {FindingKind.LEAK, FindingKind.PEAK, FindingKind.HEADROOM, FindingKind.NO_RECLAIM, FindingKind.TERMINATED,
     FindingKind.OBJECTS}
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
    host: str | None = None,
    worker: str | None = None,
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
        "baseline_origin": None if baseline is None or baseline.origin is None else baseline.origin.to_dict(),
        "metrics": d["metrics"],
        "findings": d["findings"],
        "notes": d["notes"],
        "decisions": d["decisions"],
        "attribution": attribution or [],
        "stacks": stacks or [],
        "artifacts": artifacts or [],
        "timeline": timeline.to_dict(),
        "host": host,
        "worker": worker,
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
