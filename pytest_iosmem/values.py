"""Value types every layer speaks: profiles, jetsam limits, class counts, stored baselines.

They sit below everything (parsers, the verdict package, targets, storage, reports) so that a
pure parser or the verdict code never has to import the targets package for a dataclass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import BaselineError

__all__ = ["Profile", "JetsamLimit", "ClassStat", "Origin", "Baseline", "BASELINE_METRICS", "MAX_BYTES",
           "check_baseline_metrics"]

#: the metrics a stored baseline keeps per test
BASELINE_METRICS = ("end", "peak", "leak_per_iteration", "reclaimed", "iterations")


@dataclass(frozen=True)
class Profile:
    """What baselines are keyed by: target kind, model, OS version.

    ``model`` is the hardware identifier (``iPhone15,2``, simulator device
    type identifier, or the host machine for ``local``); ``os`` the OS name and
    version.  ``name`` is for people only and is not part of the key.
    """

    kind: str
    model: str
    os: str
    name: str = ""

    @property
    def key(self) -> str:
        """A stable, filesystem-safe slug, e.g. ``local-linux-6.1-x86_64``."""
        raw = f"{self.kind}-{self.os}-{self.model}"
        return re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("_").lower()

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "model": self.model, "os": self.os, "name": self.name, "key": self.key}


@dataclass(frozen=True)
class JetsamLimit:
    """A per-process memory limit and where the number comes from."""

    bytes: int
    source: str


@dataclass(frozen=True)
class ClassStat:
    """Live objects of one class (or allocation type): count and bytes."""

    name: str
    count: int
    bytes: int


@dataclass(frozen=True)
class Origin:
    """Where a baseline came from: the profile key, by which rule, and why."""

    profile: str
    rule: str  # "exact" | "nearest" | "pinned"
    current: str
    reason: str = ""

    @property
    def borrowed(self) -> bool:
        """True when the baseline is not the current profile's own."""
        return self.profile != self.current

    def describe(self) -> str:
        """``profile local-linux-cpython3.11-x86_64 (nearest: other Python ...)``."""
        if not self.borrowed:
            return f"profile {self.profile}"
        why = f": {self.reason}" if self.reason else ""
        return f"profile {self.profile} ({self.rule}{why})"

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "rule": self.rule, "current": self.current, "reason": self.reason}


#: no app's footprint comes near this (1 TiB): a larger number is a corrupt or hand-edited file
MAX_BYTES = 1 << 40


def check_baseline_metrics(data: Mapping[str, Any], where: str) -> None:
    """The one check of a baseline's numbers, on read and on write (BaselineError naming ``where``).

    Sizes are integers of bytes in [0, 1 TiB]; the leak slope and the bytes reclaimed are finite
    numbers within ±1 TiB (either may be negative: memory can go down, or grow after a warning);
    iterations a non-negative integer. NaN and infinity, which Python's JSON reader accepts,
    would switch a check off (``end = 1e30`` reads as "-100%, pass") or make reports unreadable.
    """
    import math

    for key in ("end", "peak"):
        if key not in data:
            raise BaselineError(f"{where}: missing metric {key!r}")
        v = data[key]
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_BYTES:
            raise BaselineError(f"{where}: {key} must be a non-negative integer of bytes (at most 1 TiB), got {v!r}")
    for key in ("leak_per_iteration", "reclaimed"):
        v = data.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or abs(v) > MAX_BYTES:
            raise BaselineError(f"{where}: {key} must be a finite number of bytes within ±1 TiB or null, got {v!r}")
    v = data.get("iterations")
    if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
        raise BaselineError(f"{where}: iterations must be a non-negative integer or null, got {v!r}")


@dataclass(frozen=True)
class Baseline:
    """The stored metrics of one test on one profile."""

    end: int
    peak: int
    leak_per_iteration: float | None = None
    reclaimed: int | None = None
    iterations: int | None = None
    #: which stored profile these numbers come from (set by BaselineStore.lookup; not stored)
    origin: "Origin | None" = field(default=None, compare=False)

    def __post_init__(self) -> None:
        check_baseline_metrics(self.to_dict(), "baseline")  # the same check on write as on read

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in BASELINE_METRICS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> "Baseline":
        if not isinstance(data, Mapping):
            raise BaselineError(f"{where}: expected an object of metrics, got {type(data).__name__}")
        check_baseline_metrics(data, where)
        return cls(
            end=data["end"],
            peak=data["peak"],
            leak_per_iteration=data.get("leak_per_iteration"),
            reclaimed=data.get("reclaimed"),
            iterations=data.get("iterations"),
        )
