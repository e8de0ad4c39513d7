"""Known per-process memory limits (jetsam) by device model and OS version, each with its source.

A simulator enforces no limit, so the simulator target reports the limit of
the model it emulates; the device target reports its own model's.  Only
limits with a public, checkable source are here: an unknown model or OS
says "unknown" (and the headroom check says it did not run) rather than
guess.  Limits move between OS releases (one public report: an 8 GB iPad's
per-app limit fell from about 6 GB to about 3 GB with iPadOS 26.4, model not
given, so it is not a row), hence rows are keyed by model *and* OS range.
Users override with ``--iosmem-jetsam-limit``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .targets.base import JetsamLimit

__all__ = ["LimitRow", "ROWS", "lookup", "marketing_name", "model_for_device_type"]


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for p in text.strip().split("."):
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


@dataclass(frozen=True)
class LimitRow:
    model: str  # hardware identifier, e.g. iPhone10,1
    os_min: str  # inclusive
    os_max: str  # inclusive
    bytes: int
    source: str

    def matches(self, model: str, os_version: str) -> bool:
        v = _version(os_version)
        return model == self.model and _version(self.os_min) <= v[: len(_version(self.os_min))] and v[
            : len(_version(self.os_max))
        ] <= _version(self.os_max)


ROWS: tuple[LimitRow, ...] = (
    LimitRow(
        "iPhone10,1", "11.4", "11.4", 89600 * 16384,
        "JetsamEvent report of an iPhone10,1 on iPhone OS 11.4.1 (15G77): a per-process-limit kill at "
        "rpages 89600 x pageSize 16384 = 1400 MiB (public blog post; tests/data/jetsam_event_ios11_4_1_per_process_limit_excerpt.txt)",
    ),
)

_NAMES = {
    "iPhone8,1": "iPhone 6s",
    "iPhone8,2": "iPhone 6s Plus",
    "iPhone10,1": "iPhone 8",
    "iPhone10,4": "iPhone 8",
    "iPhone10,3": "iPhone X",
    "iPhone10,6": "iPhone X",
    "iPhone11,2": "iPhone XS",
    "iPhone12,1": "iPhone 11",
    "iPhone13,2": "iPhone 12",
    "iPhone14,5": "iPhone 13",
    "iPhone14,7": "iPhone 14",
    "iPhone15,2": "iPhone 14 Pro",
    "iPhone15,3": "iPhone 14 Pro Max",
    "iPhone15,4": "iPhone 15",
    "iPhone16,1": "iPhone 15 Pro",
    "iPhone16,2": "iPhone 15 Pro Max",
}


def lookup(model: str, os_version: str | None) -> JetsamLimit | None:
    """The known limit for ``model`` on ``os_version`` (``"17.5"`` or ``"iOS 17.5"``), or None."""
    if not model or not os_version:
        return None
    version = os_version.split()[-1]
    for row in ROWS:
        if row.matches(model, version):
            return JetsamLimit(row.bytes, row.source)
    return None


def marketing_name(model: str) -> str | None:
    return _NAMES.get(model)


def model_for_device_type(device_type: dict) -> str | None:
    """A simulator device type's hardware model, from ``simctl list -j`` (``modelIdentifier``)."""
    return device_type.get("modelIdentifier") or None
