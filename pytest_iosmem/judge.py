"""Judging one gated test after its body ran: verdict, object check, attribution, artifacts, result.

The plugin's ``pytest_runtest_call`` hook calls :func:`judge` and only decides
how the outcome reaches pytest (fail, re-raise); everything between the
measurement and the result dict lives here, so the hook module stays a list
of hooks and fixtures that delegate (the shape of pytest-benchmark's and
pytest-memray's plugin modules).

Nothing here imports pytest: the inputs are the measurement (``IosMem``),
the run's settings and the test's names.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import IosMemError

if TYPE_CHECKING:
    from .analysis import Verdict
    from .measure import IosMem
    from .run import IosMemRun
    from .targets.base import App, Target

__all__ = ["Judgement", "judge", "object_check", "junit_properties", "failure_artifacts", "report_outcome"]


@dataclass
class Judgement:
    """What judging a test produced: the verdict (findings, notes) and the result every report reads."""

    verdict: "Verdict"
    result: dict[str, Any]

    @property
    def failed(self) -> bool:
        return bool(self.verdict.findings)

    @property
    def terminated(self) -> bool:
        return any(f.kind == "terminated" for f in self.verdict.findings)

    @property
    def kinds(self) -> list[str]:
        """The finding kinds, in order (a demonstration's xfail checks its own kind is among them)."""
        return [f.kind for f in self.verdict.findings]

    def failure_message(self) -> str:
        return self.verdict.failure_message()


def judge(mem: "IosMem", run: "IosMemRun", nodeid: str, name: str, error: BaseException | None = None) -> Judgement:
    """Finish the measurement, analyse it, add attribution and saved evidence, build the result.

    ``error`` is what the test body raised (None when it returned): the
    result keeps it, so a baseline is never accepted from a broken run.
    """
    from .analysis import analyse
    from .results import build_result

    mem.finish()
    target = mem.target
    jetsam = target.jetsam_limit()
    baseline = mem.baseline
    verdict = analyse(
        mem.timeline,
        mem.policy,
        None if run.update_baselines else baseline,
        jetsam,
        warnings_supported=mem.warnings_supported,
    )
    verdict.notes.extend(mem.notes)
    objects = object_check(mem, verdict)
    attribution = _attribution(mem, verdict)
    if attribution:
        verdict.amend(_attribution_text(attribution), ("leak", "growth"))
    from .stack_attribution import grown_stack_rows  # allocation stacks, beside the grown classes

    stacks = grown_stack_rows(mem, verdict, run, name)
    artifacts = failure_artifacts(
        target, mem.app, name, verdict, _remote_note(run), interrupted=isinstance(error, KeyboardInterrupt)
    )
    body_error = None if error is None else f"{type(error).__name__}: {error}"[:500]
    result = build_result(
        nodeid, target.profile(), mem.policy, verdict, baseline, mem.timeline, jetsam, attribution=attribution,
        body_error=body_error, artifacts=artifacts, host=run.host, worker=run.worker_id, stacks=stacks,
    )
    if objects is not None:
        result["objects"] = objects
    return Judgement(verdict, result)


def object_check(mem: "IosMem", verdict: "Verdict") -> dict[str, Any] | None:
    """The object check on the histograms read during ``iterations()``: a finding per run of
    leaking classes (kind ``objects``), a note when it could not be judged; its record, or None
    when it did not run (switched off, no target support, no iterations)."""
    from .analysis import Finding, FindingKind
    from .objects import judge_objects

    series = mem.objects
    rules = mem.policy.object_rules
    if series is None:
        return None
    verdict.notes.extend(series.notes)
    if rules is None or not series.started:
        return None
    decision = judge_objects(series.histograms, rules)
    if decision.judged:  # beside the leak check's, in the verdict engine's shape
        verdict.decisions.append(decision.decision(limit=rules.per_iteration))
    if decision.note:
        verdict.notes.append(decision.note)
    if decision.leaks:
        verdict.findings.append(
            Finding(
                FindingKind.OBJECTS,
                decision.failure_message(),
                measured=max(leak.count_per_iteration for leak in decision.leaks),
                limit=rules.per_iteration,
            )
        )
    return decision.to_dict()


def junit_properties(result: dict[str, Any]) -> list[tuple[str, Any]]:
    """The ``record_property`` pairs of a result (JUnit XML ``<property>`` elements)."""
    from .results import verdict_label

    m = result["metrics"]
    props: list[tuple[str, Any]] = [(f"iosmem_{key}", m.get(key)) for key in ("peak", "end", "start")]
    if m.get("leak"):
        props.append(("iosmem_leak_per_iteration", round(m["leak"]["per_iteration"])))
        props.append(("iosmem_leak_p", round(m["leak"]["p_value"], 5)))
    if m.get("reclaimed") is not None:
        props.append(("iosmem_reclaimed", m["reclaimed"]))
    leaked = [leak["name"] for leak in (result.get("objects") or {}).get("leaks", [])]
    if leaked:
        props.append(("iosmem_object_leaks", ",".join(leaked)))
    props.append(("iosmem_verdict", verdict_label(result)))
    return props


def report_outcome(result: dict[str, Any], *, xfail: bool, skipped: bool, outcome: str) -> dict[str, Any]:
    """The result as the call report shows it: an expected failure (a demonstration) is
    ``xfailed``/``xpassed``, a body that failed or skipped after a clean gate says so."""
    if xfail:
        # an expected failure (a demonstration): its findings are real, the run is not red
        return {**result, "outcome": "xfailed" if skipped else "xpassed"}
    if outcome != "passed" and result["outcome"] == "passed":
        return {**result, "outcome": "skipped" if skipped else outcome}
    return result


def failure_artifacts(
    target: "Target", app: "App", label: str, verdict: "Verdict", where: str = "", interrupted: bool = False
) -> list[str]:
    """Evidence a target saves when a memory check failed (FailureArtifacts), named in the failure
    (``where``: " on host mac2" when the worker runs on another host than the controller).

    Never on an interrupted run (Ctrl-C, SIGTERM): a memory graph can take
    minutes (``leaks``), and the user asked to stop.  A write error is a note.
    """
    saver = getattr(target, "failure_artifacts", None)
    if saver is None or not verdict.findings or verdict.metrics.terminated:
        return []
    if interrupted:
        verdict.notes.append("no artifact saved: the run was interrupted")
        return []
    try:
        paths = list(saver(app, label))
    except (IosMemError, OSError) as exc:
        verdict.notes.append(f"no artifact saved: {exc}")
        return []
    if paths:
        verdict.amend(f"  saved{where}: " + ", ".join(paths))
    return paths


def _remote_note(run: "IosMemRun") -> str:
    """" on host mac2" for a worker on another host than the controller, else ""."""
    from .hosts import remote_note

    return remote_note(run.host, run.controller_host) if run.worker_id != "master" else ""


def _attribution(mem: "IosMem", verdict: "Verdict") -> list[dict[str, Any]]:
    """Grown classes between the first and last measured iteration, when a leak/growth was found."""
    if not any(f.kind in ("leak", "growth") for f in verdict.findings):
        return []
    first, last = mem.histograms.get("first"), mem.histograms.get("last")
    if not first or not last:
        return []
    from .attribution import grown_classes

    return [dataclasses.asdict(row) for row in grown_classes(first, last, verdict.metrics.snapshot_steps)]


def _attribution_text(rows: list[dict[str, Any]]) -> str:
    from .units import format_size

    lines = ["  grown classes (per iteration):"]
    for r in rows[:5]:
        lines.append(
            f"    {r['name']}: {r['count_per_iteration']:+.1f} instances, {format_size(r['bytes_per_iteration'], signed=True)}"
        )
    return "\n".join(lines)
