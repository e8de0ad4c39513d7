"""Reading the class histograms the object check needs, during ``iosmem.iterations()``.

One read before the first measured iteration, one after each measured
iteration (the pure rule is :mod:`pytest_iosmem.objects`).  A read that fails
leaves a gap (None) that the rule knows how to bridge; a target that cannot
count objects at all switches the check off for the test, with a note when
the check was asked for explicitly (``--iosmem-objects=on``) — in ``auto``
mode it stays silent, as "where available" promises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import NotSupported, TargetError
from .verdict.objects import Histogram, as_histogram

if TYPE_CHECKING:
    from .targets.base import App, Target

__all__ = ["ObjectSeries", "object_check_enabled"]


def object_check_enabled(mode: str, target: "Target") -> bool:
    """``auto``: where a histogram is cheap (the local target asks the reference app over HTTP in
    milliseconds); ``on``: also where it costs seconds (``heap`` on a simulator); ``off``: never."""
    if mode == "on":
        return True
    return mode == "auto" and target.kind == "local"


class ObjectSeries:
    """The histograms of one ``iterations()`` loop, with the notes of reads that failed."""

    def __init__(self, target: "Target", app: "App", explicit: bool = False) -> None:
        self.target = target
        self.app = app
        self.explicit = explicit
        self.available = True
        self.histograms: list[Histogram | None] = []
        self.notes: list[str] = []
        self._failed_reads = 0

    @property
    def started(self) -> bool:
        return self.available and bool(self.histograms)

    def start(self) -> None:
        """Before the first measured iteration of a loop: a new series begins."""
        self.histograms = []
        self.read()

    def read(self) -> None:
        if not self.available:
            return
        try:
            rows = self.target.class_histogram(self.app)
        except NotSupported as exc:
            if any(h is not None for h in self.histograms):
                # it answered before: this read failed (a timeout), the target can count objects
                self._gap(exc)
                return
            self.available = False
            self.histograms = []
            if self.explicit:
                self.notes.append(f"object check unavailable: {exc}")
            return
        except TargetError as exc:
            self._gap(exc)
            return
        self.histograms.append(as_histogram(rows))

    def _gap(self, exc: Exception) -> None:
        self._failed_reads += 1
        if self._failed_reads == 1:
            self.notes.append(f"object check: a class histogram could not be read ({exc})")
        self.histograms.append(None)
