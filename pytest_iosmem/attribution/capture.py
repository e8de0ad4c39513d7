"""Allocation stacks in a measurement: captured beside the class histograms, diffed when judged.

The measurement (:class:`~pytest_iosmem.measure.IosMem`) owns a :class:`StackCapture`
and reads a generation at the first and the last measured iteration,
when attribution is on; a target that can say who allocated what has an
``allocation_stacks(app)`` method (:class:`StackSource`): the local target
for the reference app, the simulator through ``malloc_history``.  Others
are skipped with one note saying so.

When the test is judged, :func:`grown_stack_rows` diffs the two
generations (:func:`.stacks.grown_stacks`), adds the compact
text to the first leak or growth finding, beside the grown classes, and
returns the rows for the result (``"stacks"`` in the JSON report).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, runtime_checkable

from ..errors import NotSupported, TargetError
from .stacks import Generation, StackGrowth, StackRules, format_grown_stacks, grown_stacks, parse_rule_patterns
from ..targets.base import App
from ..units import format_size

if TYPE_CHECKING:
    from ..verdict.findings import Verdict

__all__ = ["StackSource", "StackCapture", "grown_stack_rows", "rules_from_options"]

#: stacks kept per test in the result; the failure message shows the first 3
TOP = 10


@runtime_checkable
class StackSource(Protocol):
    """A target that can read the app's live allocations grouped by allocation stack."""

    def allocation_stacks(self, app: App) -> Generation: ...


class StackCapture:
    """The allocation stacks of one measurement, read at the first and the last measured iteration.

    A target that cannot record them (no ``allocation_stacks``, or it refuses) is noted once in
    ``notes`` (the measurement's own list) and not asked again.
    """

    def __init__(self, target: Any, app: App, notes: list[str]) -> None:
        self.target = target
        self.app = app
        self.notes = notes
        self.generations: dict[str, Generation] = {}
        self.available = True

    def capture(self, which: str) -> None:
        """Read one generation into ``generations[which]``."""
        if not self.available:
            return
        if not isinstance(self.target, StackSource):
            self.available = False
            self.notes.append(f"allocation stacks unavailable: the {self.target.kind} target does not record them")
            return
        from ..targets.malloc_history import Deferred

        try:
            self.generations[which] = self.target.allocation_stacks(self.app)
        except Deferred as exc:  # kept for later (a device's memgraph, read on a Mac): say where, carry on
            self.notes.append(f"allocation stacks ({which}) not read here: {exc}")
        except NotSupported as exc:
            self.available = False
            self.notes.append(f"allocation stacks unavailable: {exc}")
        except TargetError as exc:
            self.available = False
            self.notes.append(f"allocation stacks failed: {exc}")


def rules_from_options(option: Callable[[str], Any] | None) -> StackRules:
    """``--iosmem-stack-app`` / ``--iosmem-stack-system`` patterns added to the default rules."""
    if option is None:
        return StackRules()
    return StackRules().with_patterns(
        system=parse_rule_patterns(str(option("stack_system") or "")),
        app=parse_rule_patterns(str(option("stack_app") or "")),
    )


def grown_stack_rows(
    generations: Mapping[str, Generation],
    verdict: Verdict,
    rules: StackRules | None = None,
    artifacts_dir: Any = None,
    label: str = "test",
) -> list[StackGrowth]:
    """The stacks that grew between the two generations, per iteration.

    Computed whenever both generations exist (a passing test then shows
    that nothing grew above the noise floor); written into the failure
    message only when a leak or growth was found, and then the two
    generations are saved to ``artifacts_dir`` for ``iosmem stacks-diff``.
    """
    first, last = generations.get("first"), generations.get("last")
    if first is None or last is None:
        return []
    steps = verdict.metrics.snapshot_steps
    rows = grown_stacks(first, last, steps, top=TOP, rules=rules or StackRules())
    if first.overhead is not None and last.overhead is not None:
        grew = last.overhead - first.overhead
        if abs(grew / steps) >= 1024:
            verdict.notes.append(f"allocation stacks: the recorder's own memory changed by "
                                 f"{format_size(grew, signed=True)} between the two reads "
                                 f"({format_size(grew / steps, signed=True)}/iter; in the footprint, not in the stacks)")
    if rows and any(f.kind in ("leak", "growth") for f in verdict.findings):
        text = "  grown allocation stacks (per iteration):\n" + format_grown_stacks(rows, stacks=3, frames=3,
                                                                                   indent="    ")
        saved = _save(first, last, artifacts_dir, label, verdict)
        if saved:
            text += f"\n    generations saved: iosmem stacks-diff {saved[0]} {saved[1]} --iterations {steps}"
        verdict.amend(text, ("leak", "growth"))
    return rows


def _save(first: Generation, last: Generation, directory: Any, label: str, verdict: Verdict) -> list[str]:
    """Write both generations as JSON (atomically); a failure to write is a note, never an error."""
    if directory is None:
        return []
    import json
    import re
    from pathlib import Path

    from ..atomic import write_atomic

    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_")[:120] or "test"
    paths = []
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for which, gen in (("first", first), ("last", last)):
            path = Path(directory) / f"{stem}-stacks-{which}.json"
            write_atomic(path, json.dumps(gen.to_dict()))
            paths.append(_shown(path))
    except OSError as exc:
        verdict.notes.append(f"allocation stacks not saved: {exc}")
        return []
    return paths


def _shown(path: Any) -> str:
    """The path as a command to paste: relative to the working directory when it lies below it."""
    import os

    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return absolute if relative.startswith("..") else relative
