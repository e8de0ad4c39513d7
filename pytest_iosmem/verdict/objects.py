"""Object-level leaks: classes whose live instances grow in every measured iteration. Pure.

The leaks iOS engineers meet most — a view controller kept alive by a block,
a timer or a delegate — are often a few KB: below any footprint limit that is
safe from noise.  MLeaksFinder and LeakCanary catch them by counting objects
that should be gone.  Here the target's class histogram (``heap`` on a
simulator, the reference app's ``/iosmem/objects``) is read once before the
first measured iteration and once after each, and a class is a leak when its
instance count grows by at least ``per_iteration`` in *every* measured
iteration: CPython's refleak rule (``regrtest -R``: every delta >= 1), which
needs no statistics because a growth that never once pauses is not noise —
judged over every window of :data:`WINDOW` (2) iterations, so that a leak whose
objects are freed one iteration late (counts ``0, 2, 2, 4, 4``: an autorelease
pool or a deferred ``deinit``) still grows ``2 * per_iteration`` in each window.

The hard cases, and what the rule does with them (tests/test_objects.py):

- a delta of 0 (or less) in one iteration: not a leak — something let go, or
  the class is a bounded pool that refilled;
- a class missing from a histogram that was read has no live instances
  (count 0), so a class appearing mid-series starts from 0 there;
- a histogram that could not be read (None) hides what happened in the windows
  that touch it: a known window that does not grow is still "not a leak", but
  growth where every known window grows is only a finding once
  :data:`MIN_AFTER_GAP` consecutive deltas after the last gap grow too (a gap
  cannot make a leak of a series that paused inside it); until then the check
  is undecided and asks the loop for more iterations.  Histograms not read at
  the end count as a gap.  Fewer than :data:`MIN_DELTAS` deltas readable: not
  judged, with a note;
- counts that shrink are never a leak;
- the watch list says which classes are judged (by default view controllers
  and views, as MLeaksFinder does: the objects whose lifetime a screen
  defines); the ignore list removes classes from it, and wins over the watch
  list when a class matches both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Iterable, Mapping, Sequence

from ..values import ClassStat
from .decision import Decision
from .findings import Finding, FindingKind
from ..units import format_size

__all__ = [
    "DEFAULT_WATCH",
    "MIN_DELTAS",
    "MIN_AFTER_GAP",
    "WINDOW",
    "grows_every_window",
    "ObjectRules",
    "ObjectLeak",
    "ObjectCheck",
    "object_findings",
    "judge_objects",
    "as_histogram",
]

#: classes judged when no watch list is given: what a screen's lifetime defines
DEFAULT_WATCH: tuple[str, ...] = ("*ViewController", "*View")
#: fewest readable deltas (histogram pairs) the rule needs; CPython's ``-R 3:3`` judges 3
MIN_DELTAS = 3
#: iterations per window: growth is judged over every window of this many iterations
WINDOW = 2
#: consecutive deltas, read after the last gap, a series with gaps needs before it is a finding
MIN_AFTER_GAP = 6
#: at most this many classes are named in a failure message
MAX_NAMED = 5

Histogram = Mapping[str, ClassStat]


def as_histogram(rows: Iterable[ClassStat] | None) -> dict[str, ClassStat] | None:
    """A target's rows keyed by class name (rows of one name are summed); None stays None."""
    if rows is None:
        return None
    out: dict[str, ClassStat] = {}
    for r in rows:
        prev = out.get(r.name)
        out[r.name] = r if prev is None else ClassStat(r.name, prev.count + r.count, prev.bytes + r.bytes)
    return out


@dataclass(frozen=True)
class ObjectRules:
    """Which classes are judged, and how much growth per iteration is a leak."""

    per_iteration: int = 1
    watch: tuple[str, ...] = DEFAULT_WATCH
    ignore: tuple[str, ...] = ()

    def judged(self, name: str) -> bool:
        """Ignore wins over watch; an empty watch list watches every class."""
        if any(fnmatchcase(name, p) for p in self.ignore):
            return False
        return not self.watch or any(fnmatchcase(name, p) for p in self.watch)


@dataclass(frozen=True)
class ObjectLeak:
    """One class that grew in every measured iteration.

    ``counts``/``bytes`` hold one entry per histogram: before the first
    measured iteration, then after each (None where it was not read).
    """

    name: str
    counts: tuple[int | None, ...]
    bytes: tuple[int | None, ...]
    per_iteration_limit: int = 1

    @property
    def iterations(self) -> int:
        return len(self.counts) - 1

    @property
    def _read(self) -> list[int]:
        return [i for i, c in enumerate(self.counts) if c is not None]

    @property
    def covered(self) -> int:
        """Measured iterations between the first and the last histogram read."""
        read = self._read
        return read[-1] - read[0]

    @property
    def expected(self) -> int:
        """Live instances when the measured iterations began (the first histogram read)."""
        return self.counts[self._read[0]] or 0

    @property
    def alive(self) -> int:
        return self.counts[self._read[-1]] or 0

    @property
    def count_per_iteration(self) -> float:
        return (self.alive - self.expected) / self.covered

    @property
    def bytes_per_iteration(self) -> float:
        read = self._read
        first, last = self.bytes[read[0]] or 0, self.bytes[read[-1]] or 0
        return (last - first) / self.covered

    @property
    def deltas(self) -> tuple[int | None, ...]:
        """Growth in each measured iteration; None where a histogram on either side is missing."""
        c = self.counts
        return tuple(None if a is None or b is None else b - a for a, b in zip(c, c[1:]))

    def message(self) -> str:
        missing = self.counts.count(None)
        gap = f", {missing} histogram(s) not read" if missing else ""
        grown_bytes = self.bytes_per_iteration
        size = f", {format_size(grown_bytes, signed=True)} per iteration" if grown_bytes > 0 else ""
        return (
            f"objects: {self.name} {self.count_per_iteration:+.3g} per iteration in {self.covered} of "
            f"{self.iterations} iterations ({self.alive} alive, {self.expected} expected{gap}){size}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "counts": list(self.counts),
            "bytes": list(self.bytes),
            "deltas": list(self.deltas),
            "alive": self.alive,
            "expected": self.expected,
            "count_per_iteration": self.count_per_iteration,
            "bytes_per_iteration": self.bytes_per_iteration,
        }


@dataclass
class ObjectCheck:
    """The object check of one test: the leaking classes, or why it was not judged."""

    iterations: int
    histograms_read: int
    leaks: list[ObjectLeak] = field(default_factory=list)
    note: str | None = None  # set when the check could not be judged
    #: classes that grew in every window that could be read, but gaps leave it open
    pending: list[str] = field(default_factory=list)

    @property
    def judged(self) -> bool:
        return self.note is None

    @property
    def outcome(self) -> str:
        """In the verdict engine's words: ``finding``, ``clear``, or ``undecided`` (too few histograms)."""
        if self.leaks:
            return "finding"
        return "clear" if self.judged and not self.pending else "undecided"

    @property
    def reason(self) -> str:
        if self.leaks:
            return self.leaks[0].message()
        if not self.judged:
            return self.note or ""
        if self.pending:
            named = ", ".join(self.pending[:MAX_NAMED])
            return (
                f"{named} grew in every measured iteration that could be read, but histograms were not read "
                f"in between: {MIN_AFTER_GAP} consecutive iterations read after the last gap are needed"
            )
        return "no watched class grew in every measured iteration"

    def decision(self, planned: int | None = None, limit: int | None = None) -> Decision:
        """This check as a :class:`~.decision.Decision`: check ``objects``, steps = measured
        iterations, estimate = the fastest-growing class's instances per iteration, limit =
        ``per_iteration``."""
        estimate = max((leak.count_per_iteration for leak in self.leaks), default=None)
        return Decision(
            check="objects",
            outcome=self.outcome,
            steps=self.iterations,
            planned=self.iterations if planned is None else planned,
            estimate=estimate,
            limit=limit,
            reason=self.reason,
            notes=() if self.judged else (self.note or "",),
        )

    def failure_message(self) -> str:
        lines = [leak.message() for leak in self.leaks[:MAX_NAMED]]
        if len(self.leaks) > MAX_NAMED:
            lines.append(f"objects: and {len(self.leaks) - MAX_NAMED} more classes (see the report)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "judged": self.judged,
            "iterations": self.iterations,
            "histograms_read": self.histograms_read,
            "note": self.note,
            "leaks": [leak.to_dict() for leak in self.leaks],
            "pending": list(self.pending),
        }


def judge_objects(histograms: Sequence[Histogram | Iterable[ClassStat] | None], rules: ObjectRules) -> ObjectCheck:
    """Apply the every-delta rule to histograms taken before and after each measured iteration.

    ``histograms[0]`` is the one before the first measured iteration,
    ``histograms[i]`` the one after measured iteration ``i``; None marks one
    that could not be read.
    """
    hists = [h if h is None or isinstance(h, Mapping) else as_histogram(h) for h in histograms]
    iterations = max(0, len(hists) - 1)
    read = [i for i, h in enumerate(hists) if h is not None]
    verdict = ObjectCheck(iterations, len(read))
    if len(read) - 1 < MIN_DELTAS:
        verdict.note = (
            f"objects not judged: class histograms at {len(read)} of {len(hists)} points "
            f"({iterations} measured iteration(s)); at least {MIN_DELTAS + 1} are needed"
        )
        return verdict
    names = sorted({name for i in read for name in hists[i]})  # type: ignore[union-attr]
    for name in names:
        if not rules.judged(name):
            continue
        counts = tuple(None if h is None else (h[name].count if name in h else 0) for h in hists)
        verdict_of_class = grows_every_window(counts, rules.per_iteration)
        if verdict_of_class == "finding":
            sizes = tuple(None if h is None else (h[name].bytes if name in h else 0) for h in hists)
            verdict.leaks.append(ObjectLeak(name, counts, sizes, rules.per_iteration))
        elif verdict_of_class == "undecided":
            verdict.pending.append(name)
    verdict.leaks.sort(key=lambda leak: (-leak.bytes_per_iteration, -leak.count_per_iteration, leak.name))
    return verdict


def grows_every_window(counts: Sequence[int | None], per_iteration: int) -> str:
    """One class's counts (None: not read) under the window rule: ``finding``, ``clear``, ``undecided``.

    ``clear`` as soon as one window that could be read grows less than ``WINDOW * per_iteration``
    (or, with fewer iterations than a window, one delta less than ``per_iteration``), or a count
    falls below the leak's line ``first + per_iteration * k``; ``finding``
    when every window grows and the deltas read since the last gap are enough; else ``undecided``.
    """
    start = next(i for i, c in enumerate(counts) if c is not None)
    counts = counts[start:]  # a missing first histogram: the series starts at the first one read
    n = len(counts) - 1  # measured iterations
    w = min(WINDOW, n)
    gap = False
    for i in range(n - w + 1):
        a, b = counts[i], counts[i + w]
        if a is None or b is None:
            gap = True
            continue
        if b - a < per_iteration * w:
            return "clear"
    # a leak never falls below its line: deferred frees only add to it
    first = counts[0]
    if any(c is not None and c - first < per_iteration * k for k, c in enumerate(counts)):  # type: ignore[operator]
        return "clear"
    if any(c is None for c in counts):
        gap = True
    if not gap:
        return "finding"
    read_tail = 0  # consecutive deltas read at the end
    for a, b in zip(reversed(counts[:-1]), reversed(counts[1:])):
        if a is None or b is None:
            break
        read_tail += 1
    if read_tail < MIN_AFTER_GAP:
        return "undecided"
    # the deltas read after the last gap must make a leak on their own: a gap may hide the one
    # window that would have cleared the class, so the evidence before it cannot count
    tail = counts[len(counts) - 1 - read_tail:]
    return "finding" if grows_every_window(tail, per_iteration) == "finding" else "undecided"


def object_findings(check: ObjectCheck, rules: ObjectRules) -> list[Finding]:
    """The object check's finding (kind ``objects``): one for all leaking classes, or none."""
    if not check.leaks:
        return []
    worst = max(leak.count_per_iteration for leak in check.leaks)
    return [Finding(FindingKind.OBJECTS, check.failure_message(), measured=worst, limit=rules.per_iteration)]
