"""Concluding one gated test after its body ran: verdict, object check, attribution, artifacts, result.

The judging itself is the verdict package's (:func:`pytest_iosmem.verdict.checks.analyse`,
:mod:`pytest_iosmem.verdict.objects`); this module gathers its inputs from the measurement
and the run, and the evidence the target saves.  The plugin's ``pytest_runtest_call`` hook
calls :func:`conclude` and only decides
how the outcome reaches pytest (fail, re-raise); everything between the
measurement and the result dict lives here, so the hook module stays a list
of hooks and fixtures that delegate (the shape of pytest-benchmark's and
pytest-memray's plugin modules).

Nothing here imports pytest: the inputs are the measurement (``IosMem``),
the run's settings and the test's names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import IosMemError
from .results import GateResult

if TYPE_CHECKING:
    from .attribution.classes import ClassGrowth
    from .measure import IosMem
    from .run import IosMemRun
    from .targets.base import App, Target
    from .verdict.findings import Verdict
    from .verdict.objects import ObjectCheck

__all__ = ["conclude", "junit_properties", "failure_artifacts", "report_outcome"]


def conclude(mem: "IosMem", run: "IosMemRun", nodeid: str, name: str, error: BaseException | None = None) -> GateResult:
    """Finish the measurement, judge it, add attribution and saved evidence: the test's result.

    ``error`` is what the test body raised (None when it returned): the
    result keeps it, so a baseline is never accepted from a broken run.
    """
    from .attribution.capture import grown_stack_rows, rules_from_options
    from .verdict.checks import analyse

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
    if run.settings.max_creep is not None and not run.base_app:
        from .history.gate import creep_check

        creep_check(run.settings, run.rootdir, nodeid, target.profile().key, verdict, mem.policy.noise_floor)
    objects = _object_check(mem, verdict)
    attribution = _grown_classes(mem, verdict)
    if attribution:
        from .attribution.classes import grown_classes_text

        verdict.amend(grown_classes_text(attribution), ("leak", "growth"))
    stacks = grown_stack_rows(mem.generations, verdict, rules_from_options(run.option), run.artifacts_dir, name)
    artifacts = failure_artifacts(
        target, mem.app, name, verdict, _remote_note(run), interrupted=isinstance(error, KeyboardInterrupt)
    )
    return GateResult(
        nodeid, target.profile(), mem.policy, verdict, mem.timeline, baseline, jetsam,
        body_error=None if error is None else f"{type(error).__name__}: {error}"[:500],
        attribution=attribution, stacks=stacks, objects=objects, artifacts=artifacts,
        host=run.host, worker=run.worker_id,
    )


def _object_check(mem: "IosMem", verdict: "Verdict") -> "ObjectCheck | None":
    """The object check on the histograms read during ``iterations()``: its decision, finding and
    notes join the verdict; None when it did not run (switched off, no target support, no iterations)."""
    from .verdict.objects import judge_objects, object_findings

    series = mem.objects
    rules = mem.policy.object_rules
    if series is None:
        return None
    verdict.notes.extend(series.notes)
    if rules is None or not series.started:
        return None
    check = judge_objects(series.histograms, rules)
    if check.judged:
        verdict.decisions.append(check.decision(limit=rules.per_iteration).at_bound())  # the loop has ended
    if check.note:
        verdict.notes.append(check.note)
    verdict.findings.extend(object_findings(check, rules))
    return check


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


def _grown_classes(mem: "IosMem", verdict: "Verdict") -> "list[ClassGrowth]":
    """Grown classes between the first and last measured iteration, when a leak/growth was found."""
    if not any(f.kind in ("leak", "growth") for f in verdict.findings):
        return []
    first, last = mem.histograms.get("first"), mem.histograms.get("last")
    if not first or not last:
        return []
    from .attribution.classes import grown_classes

    return grown_classes(first, last, verdict.metrics.snapshot_steps)
