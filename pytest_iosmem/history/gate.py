"""The plugin's side of the history: the creep check of one test, and the append at the end of a run.

A history that cannot be reached never fails the tests it records: the append and the creep check
warn (a :class:`HistoryWarning`, and a line in the summary) and the run goes on, unless
``--iosmem-history-unreachable=fail``.  Only the process that saw every result appends (the
pytest-xdist controller), once per run, in one transaction.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Sequence

from ..verdict.findings import Finding, FindingKind
from .store import HistoryError

if TYPE_CHECKING:
    from ..settings import Settings
    from ..verdict.findings import Verdict
    from .records import RunInfo

__all__ = ["HistoryWarning", "creep_check", "finish_run", "record_run", "attach_history", "history_of", "should_record",
           "MAIN_BRANCHES"]

MAIN_BRANCHES = ("main", "master")


class HistoryWarning(UserWarning):
    """The history could not be read or written; the tests' own verdicts stand."""


def creep_check(settings: "Settings", rootdir: Any, nodeid: str, profile: str, verdict: "Verdict",
                noise_floor: float = 0.0) -> None:
    """Judge this test's end footprint against its history (``--iosmem-max-creep``): a ``creep``
    finding naming the steps when it crept past the limit, a note otherwise."""
    from .creep import judge_creep
    from .store import open_store

    now = verdict.metrics.end
    if settings.max_creep is None or not settings.history or now is None:
        return
    try:
        with open_store(settings.history, rootdir) as store:
            history = store.series(nodeid, profile, "end")
    except HistoryError as exc:
        _unreachable(settings, verdict, f"iosmem: creep not judged: {exc}")
        return
    creep = judge_creep(history, float(now), settings.creep_since, settings.max_creep,
                        noise_floor=noise_floor)
    if creep is None:
        verdict.notes.append("creep: no recorded run of this test on this profile yet")
        return
    if creep.failed:
        verdict.findings.append(Finding(FindingKind.CREEP, creep.message(), measured=creep.fraction,
                                        limit=settings.max_creep))
    else:
        verdict.notes.append(creep.summary())


def _unreachable(settings: "Settings", verdict: "Verdict", message: str) -> None:
    if settings.history_unreachable == "fail":
        verdict.findings.append(Finding(FindingKind.HISTORY, message))
    else:
        verdict.notes.append(message)
        warnings.warn(HistoryWarning(message), stacklevel=2)


def should_record(settings: "Settings", info: "RunInfo") -> bool:
    """``always``; ``never``; ``auto``: on the main branch (main or master)."""
    if settings.history_record == "always":
        return True
    if settings.history_record == "never":
        return False
    return (info.branch or "") in MAIN_BRANCHES


def finish_run(settings: "Settings", rootdir: Any, host: str | None, results: list[dict[str, Any]],
               interrupted: bool) -> tuple[list[str], bool]:
    """At the end of a run (the controller): append it when it is to be recorded, then give each
    result its ``history`` for the reports; (summary lines, whether the run must fail)."""
    said, failed, reached = record_run(settings, rootdir, host, results, interrupted)
    if reached:
        said += attach_history(settings, rootdir, results)
    return said, failed


def record_run(settings: "Settings", rootdir: Any, host: str | None, results: Sequence[dict[str, Any]],
               interrupted: bool) -> tuple[list[str], bool, bool]:
    """Append this run's results to the history: (summary lines, whether the run must fail,
    whether the store could be reached or was not tried)."""
    from .records import detect_run_info, rows_from_results
    from .store import describe, open_store

    if not settings.history or not results:
        return [], False, True
    info = detect_run_info(rootdir, host)
    if not should_record(settings, info):
        return [], False, True
    if interrupted:
        return [f"iosmem: history: this run was interrupted; not recorded in {describe(settings.history)}"], False, True
    rows = rows_from_results(r for r in results if r.get("outcome") in ("passed", "failed", "xfailed", "xpassed"))
    try:
        with open_store(settings.history, rootdir) as store:
            store.append(info, rows)
            name = store.name
    except HistoryError as exc:
        message = f"iosmem: history: this run was not recorded: {exc}"
        if settings.history_unreachable == "fail":
            return [message + " (--iosmem-history-unreachable=fail)"], True, False
        warnings.warn(HistoryWarning(message), stacklevel=2)
        return [message], False, False
    commit = f" at {info.commit[:12]}" if info.commit else ""
    return [f"iosmem: history: {len(rows)} results recorded{commit} in {name}"], False, True


def history_of(store: Any, nodeid: str, profile: str, metric: str = "end", limit: int = 200) -> dict[str, Any]:
    """One test's recorded series in the serialised form reports and the trend page read:
    ``{nodeid, profile, metric, points: [{run_id, created, commit, tag, value}], change_points}``."""
    from importlib.util import find_spec

    points = store.series(nodeid, profile, metric)[-limit:]
    values = [p.value for p in points]
    cps: list[int] = []
    if len(values) >= 2 and find_spec("ruptures") is not None:
        from .creep import change_points

        cps = change_points(values)
    return {
        "nodeid": nodeid, "profile": profile, "metric": metric,
        "points": [{"run_id": p.run_id, "created": p.created, "commit": p.commit, "tag": p.tag, "value": p.value}
                   for p in points],
        "change_points": cps,
    }


def attach_history(settings: "Settings", rootdir: Any, results: Sequence[dict[str, Any]]) -> list[str]:
    """Each result gets its ``history`` (for the reports' history chart); lines for the summary
    when the history cannot be read (a warning: the reports are still written)."""
    from .store import open_store

    if not settings.history or not results:
        return []
    try:
        with open_store(settings.history, rootdir) as store:
            for r in results:
                profile = (r.get("profile") or {}).get("key")
                if r.get("nodeid") and profile:
                    r["history"] = history_of(store, r["nodeid"], profile)
    except HistoryError as exc:
        warnings.warn(HistoryWarning(f"iosmem: history not shown in the reports: {exc}"), stacklevel=2)
        return [f"iosmem: history not shown in the reports: {exc}"]
    return []
