"""Known per-process memory limits (jetsam) by device model and OS version, each with its source.

A simulator enforces no limit, so the simulator target reports the limit of
the model it emulates; the device target reports its own model's.  Only
limits with a public, checkable source are here, and an unknown model or OS
gives ``None`` (with :func:`unknown_reason` saying why) rather than a guess:
a headroom check against a made-up number is worse than no check.

How rows are made
-----------------
- The crowd-sourced crash points of StackOverflow answer 15200855 ("device:
  crash amount/total amount/percentage of total", measured with a tool that
  allocates until the app is killed) give most rows.  Each row quotes the
  answer's line verbatim.  Its "MB" are MiB (the one JetsamEvent below, an
  exact page count, agrees with the answer's iPhone 8 figure to 3 %).  Lines
  without an OS version, and lines whose model name covers hardware with
  different RAM (the 2018 iPad Pros: 1 TB models have more), are left out.
- A JetsamEvent report is itself a source: ``rpages`` x ``pageSize`` of a
  ``per-process-limit`` kill is the limit, exactly.
- Limits move between OS releases (Apple developer forums thread 826325: an
  8 GB iPad's per-app limit fell from about 6 GB on iPadOS 26.0-26.3 to about
  3 GB on 26.4-26.5).  So a row covers the *major* OS release it was measured
  on and no other: a number measured on iOS 12 says nothing about iOS 17.
  That report names no model, so it is not a row; :data:`REPORTS` keeps it and
  :func:`unknown_reason` cites it for iPads on 26.4 and later.

Model identifiers of simulator device types come from ``simctl list -j``
recordings (their ``modelIdentifier``); identifiers of older hardware that
simulators no longer list, from The Apple Wiki's model tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from .values import JetsamLimit

__all__ = [
    "LimitRow",
    "Report",
    "ROWS",
    "REPORTS",
    "lookup",
    "unknown_reason",
    "marketing_name",
    "model_for_device_type",
    "parse_version",
]

MiB = 1024 * 1024

SO_15200855 = "StackOverflow answer 15200855 (https://stackoverflow.com/a/15200855), crowd-sourced crash point"
APPLE_WIKI = "The Apple Wiki, Models (https://theapplewiki.com/wiki/Models)"
SIMCTL_RECORDINGS = "modelIdentifier in recorded `simctl list -j` output (tests/data/simctl_list_xcode1[46].json, xcode26)"


def parse_version(text: str) -> tuple[int, ...]:
    """``"iOS 17.5"`` / ``"17.5.1"`` / ``"iPhone OS 11.4.1 (15G77)"`` -> ``(17, 5)`` / ...; ``()`` if none."""
    m = re.search(r"(\d+(?:\.\d+)*)", text or "")
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()


@dataclass(frozen=True)
class LimitRow:
    """One known limit: these models, this major OS release, so many bytes, from this source."""

    models: tuple[str, ...]  # hardware identifiers, e.g. ("iPhone10,1", "iPhone10,4")
    os_major: int  # the major release it was measured on (iOS/iPadOS)
    bytes: int
    measured_on: str  # the exact version of the measurement, e.g. "iOS 12.1"
    source: str

    def matches(self, model: str, version: tuple[int, ...]) -> bool:
        return model in self.models and bool(version) and version[0] == self.os_major


@dataclass(frozen=True)
class Report:
    """A public report about limits that names no model, so it cannot be a row."""

    applies_to: str  # a model-identifier prefix, e.g. "iPad"
    os_from: tuple[int, ...]
    text: str
    source: str


def _so(models: tuple[str, ...], mib: int, version: str, line: str) -> LimitRow:
    return LimitRow(models, parse_version(version)[0], mib * MiB, f"iOS {version}", f"{SO_15200855}: '{line}'")


ROWS: tuple[LimitRow, ...] = (
    LimitRow(
        ("iPhone10,1",), 11, 89600 * 16384, "iOS 11.4.1",
        "JetsamEvent of an iPhone10,1 on iPhone OS 11.4.1 (15G77): per-process-limit kill at rpages 89600 "
        "x pageSize 16384 = 1400 MiB (public blog post; tests/data/jetsam_event_ios11_4_1_per_process_limit_excerpt.txt)",
    ),
    _so(("iPod4,1",), 130, "6.1.1", "iPod touch 4th gen: 130MB/256MB/51% (iOS 6.1.1)"),
    _so(("iPod5,1",), 286, "7.0", "iPod touch 5th gen: 286MB/512MB/56% (iOS 7.0)"),
    _so(("iPad4,4", "iPad4,5", "iPad4,6"), 696, "7.1", "iPad Mini retina: 696MB/1024MB/68% (iOS 7.1)"),
    _so(("iPad3,4", "iPad3,5", "iPad3,6"), 585, "8.1", "iPad4: 585MB/1024MB/57% (iOS 8.1)"),
    _so(("iPhone7,2",), 645, "8", "iPhone6: 645MB/1024MB/62% (iOS 8.x)"),
    _so(("iPhone7,1",), 645, "8", "iPhone6+: 645MB/1024MB/62% (iOS 8.x)"),
    _so(("iPhone8,1",), 1396, "9.2", "iPhone6s: 1396MB/2048MB/68% (iOS 9.2)"),
    _so(("iPhone8,4",), 1395, "9.3", "iPhoneSE: 1395MB/2048MB/69% (iOS 9.3)"),
    _so(("iPhone8,2",), 1392, "10.2.1", "iPhone6s+: 1392MB/2048MB/68% (iOS 10.2.1)"),
    _so(("iPhone9,1", "iPhone9,3"), 1395, "10.2", "iPhone7: 1395/2048MB/68% (iOS 10.2)"),
    _so(("iPhone9,2", "iPhone9,4"), 2040, "10.2.1", "iPhone7+: 2040MB/3072MB/66% (iOS 10.2.1)"),
    _so(("iPad5,3", "iPad5,4"), 1383, "10.2.1", "iPad Air 2: 1383MB/2048MB/68% (iOS 10.2.1)"),
    _so(("iPad6,3", "iPad6,4"), 1395, "10.0.2", "iPad Pro 9.7\": 1395MB/1971MB/71% (iOS 10.0.2 (14A456))"),
    _so(("iPad7,3", "iPad7,4"), 3057, "11", "iPad Pro 10.5\u201d: 3057/4000/76% (iOS 11 beta4)"),
    _so(("iPad6,7", "iPad6,8"), 3058, "11.2.1", "iPad Pro 12.9\u201d (2015): 3058/3999/76% (iOS 11.2.1)"),
    _so(("iPad7,1", "iPad7,2"), 3057, "11", "iPad Pro 12.9\u201d (2017): 3057/3974/77% (iOS 11 beta4)"),
    _so(("iPhone10,3", "iPhone10,6"), 1392, "11.2.1", "iPhone X: 1392/2785/50% (iOS 11.2.1)"),
    _so(("iPhone10,1", "iPhone10,4"), 1364, "12.1", "iPhone8: 1364/1990MB/70% (iOS 12.1)"),
    _so(("iPhone11,2",), 2040, "12.1", "iPhone XS: 2040/3754/54% (iOS 12.1)"),
    _so(("iPhone11,4", "iPhone11,6"), 2039, "12.1", "iPhone XS Max: 2039/3735/55% (iOS 12.1)"),
    _so(("iPhone11,8",), 1792, "12.1", "iPhone XR: 1792/2813/63% (iOS 12.1)"),
    _so(("iPhone12,1",), 2068, "13.1.3", "iPhone 11: 2068/3844/54% (iOS 13.1.3)"),
    _so(("iPhone12,5",), 2067, "13.2.3", "iPhone 11 Pro Max: 2067/3740/55% (iOS 13.2.3)"),
    _so(("iPad7,11", "iPad7,12"), 1844, "13.2.3", "iPad 10.2: 1844/2998/62% (iOS 13.2.3)"),
)

REPORTS: tuple[Report, ...] = (
    Report(
        "iPad", (26, 4),
        "an 8 GB iPad's per-app limit fell from about 6 GB (iPadOS 26.0-26.3) to about 3 GB (iPadOS 26.4-26.5); "
        "the report names no model",
        "Apple developer forums thread 826325 (https://developer.apple.com/forums/thread/826325)",
    ),
)

# hardware identifier -> marketing name
_NAMES: dict[str, str] = {
    "iPod4,1": "iPod touch (4th generation)",
    "iPod5,1": "iPod touch (5th generation)",
    "iPhone7,1": "iPhone 6 Plus",
    "iPhone7,2": "iPhone 6",
    "iPhone9,3": "iPhone 7",
    "iPhone9,4": "iPhone 7 Plus",
    "iPhone10,1": "iPhone 8",
    "iPhone10,2": "iPhone 8 Plus",
    "iPhone10,3": "iPhone X",
    "iPhone11,6": "iPhone XS Max",
    "iPad3,4": "iPad (4th generation)",
    "iPad3,5": "iPad (4th generation)",
    "iPad3,6": "iPad (4th generation)",
    "iPad4,4": "iPad mini 2",
    "iPad4,6": "iPad mini 2",
    "iPad5,3": "iPad Air 2",
    "iPad6,3": "iPad Pro (9.7-inch)",
    "iPad6,7": "iPad Pro (12.9-inch) (1st generation)",
    "iPad7,2": "iPad Pro (12.9-inch) (2nd generation)",
    "iPad7,4": "iPad Pro (10.5-inch)",
    "iPad7,11": "iPad (7th generation)",
}  # from APPLE_WIKI; the simulator device types below add theirs

# simulator device type identifier (last component) -> (name, hardware identifier), from SIMCTL_RECORDINGS
_DEVICE_TYPES: dict[str, tuple[str, str]] = {
    "iPhone-4s": ("iPhone 4s", "iPhone4,1"),
    "iPhone-5": ("iPhone 5", "iPhone5,1"),
    "iPhone-5s": ("iPhone 5s", "iPhone6,1"),
    "iPhone-6-Plus": ("iPhone 6 Plus", "iPhone7,1"),
    "iPhone-6": ("iPhone 6", "iPhone7,2"),
    "iPhone-6s": ("iPhone 6s", "iPhone8,1"),
    "iPhone-6s-Plus": ("iPhone 6s Plus", "iPhone8,2"),
    "iPhone-SE": ("iPhone SE (1st generation)", "iPhone8,4"),
    "iPhone-7": ("iPhone 7", "iPhone9,1"),
    "iPhone-7-Plus": ("iPhone 7 Plus", "iPhone9,2"),
    "iPhone-8": ("iPhone 8", "iPhone10,4"),
    "iPhone-8-Plus": ("iPhone 8 Plus", "iPhone10,5"),
    "iPhone-X": ("iPhone X", "iPhone10,6"),
    "iPhone-XS": ("iPhone Xs", "iPhone11,2"),
    "iPhone-XS-Max": ("iPhone Xs Max", "iPhone11,4"),
    "iPhone-XR": ("iPhone X\u0280", "iPhone11,8"),
    "iPhone-11": ("iPhone 11", "iPhone12,1"),
    "iPhone-11-Pro": ("iPhone 11 Pro", "iPhone12,3"),
    "iPhone-11-Pro-Max": ("iPhone 11 Pro Max", "iPhone12,5"),
    "iPhone-SE--2nd-generation-": ("iPhone SE (2nd generation)", "iPhone12,8"),
    "iPhone-12-mini": ("iPhone 12 mini", "iPhone13,1"),
    "iPhone-12": ("iPhone 12", "iPhone13,2"),
    "iPhone-12-Pro": ("iPhone 12 Pro", "iPhone13,3"),
    "iPhone-12-Pro-Max": ("iPhone 12 Pro Max", "iPhone13,4"),
    "iPhone-13-Pro": ("iPhone 13 Pro", "iPhone14,2"),
    "iPhone-13-Pro-Max": ("iPhone 13 Pro Max", "iPhone14,3"),
    "iPhone-13-mini": ("iPhone 13 mini", "iPhone14,4"),
    "iPhone-13": ("iPhone 13", "iPhone14,5"),
    "iPhone-SE-3rd-generation": ("iPhone SE (3rd generation)", "iPhone14,6"),
    "iPhone-14": ("iPhone 14", "iPhone14,7"),
    "iPhone-14-Plus": ("iPhone 14 Plus", "iPhone14,8"),
    "iPhone-14-Pro": ("iPhone 14 Pro", "iPhone15,2"),
    "iPhone-14-Pro-Max": ("iPhone 14 Pro Max", "iPhone15,3"),
    "iPhone-15": ("iPhone 15", "iPhone15,4"),
    "iPhone-15-Plus": ("iPhone 15 Plus", "iPhone15,5"),
    "iPhone-15-Pro": ("iPhone 15 Pro", "iPhone16,1"),
    "iPhone-15-Pro-Max": ("iPhone 15 Pro Max", "iPhone16,2"),
    "iPhone-16-Pro": ("iPhone 16 Pro", "iPhone17,1"),
    "iPhone-16-Pro-Max": ("iPhone 16 Pro Max", "iPhone17,2"),
    "iPhone-16": ("iPhone 16", "iPhone17,3"),
    "iPhone-16-Plus": ("iPhone 16 Plus", "iPhone17,4"),
    "iPod-touch--7th-generation-": ("iPod touch (7th generation)", "iPod9,1"),
    "iPad-2": ("iPad 2", "iPad2,1"),
    "iPad-Retina": ("iPad Retina", "iPad3,1"),
    "iPad-Air": ("iPad Air", "iPad4,2"),
    "iPad-mini-2": ("iPad mini 2", "iPad4,5"),
    "iPad-mini-3": ("iPad mini 3", "iPad4,8"),
    "iPad-mini-4": ("iPad mini 4", "iPad5,1"),
    "iPad-Air-2": ("iPad Air 2", "iPad5,4"),
    "iPad-Pro--9-7-inch-": ("iPad Pro (9.7-inch)", "iPad6,4"),
    "iPad-Pro": ("iPad Pro (12.9-inch) (1st generation)", "iPad6,8"),
    "iPad--5th-generation-": ("iPad (5th generation)", "iPad6,12"),
    "iPad-Pro--12-9-inch---2nd-generation-": ("iPad Pro (12.9-inch) (2nd generation)", "iPad7,1"),
    "iPad-Pro--10-5-inch-": ("iPad Pro (10.5-inch)", "iPad7,3"),
    "iPad--6th-generation-": ("iPad (6th generation)", "iPad7,6"),
    "iPad--7th-generation-": ("iPad (7th generation)", "iPad7,12"),
    "iPad-Pro--11-inch-": ("iPad Pro (11-inch) (1st generation)", "iPad8,1"),
    "iPad-Pro--12-9-inch---3rd-generation-": ("iPad Pro (12.9-inch) (3rd generation)", "iPad8,5"),
    "iPad-Pro--11-inch---2nd-generation-": ("iPad Pro (11-inch) (2nd generation)", "iPad8,9"),
    "iPad-Pro--12-9-inch---4th-generation-": ("iPad Pro (12.9-inch) (4th generation)", "iPad8,12"),
    "iPad-mini--5th-generation-": ("iPad mini (5th generation)", "iPad11,1"),
    "iPad-Air--3rd-generation-": ("iPad Air (3rd generation)", "iPad11,3"),
    "iPad--8th-generation-": ("iPad (8th generation)", "iPad11,7"),
    "iPad-9th-generation": ("iPad (9th generation)", "iPad12,2"),
    "iPad-Air--4th-generation-": ("iPad Air (4th generation)", "iPad13,2"),
    "iPad-Pro-11-inch-3rd-generation": ("iPad Pro (11-inch) (3rd generation)", "iPad13,5"),
    "iPad-Pro-12-9-inch-5th-generation": ("iPad Pro (12.9-inch) (5th generation)", "iPad13,10"),
    "iPad-Air-5th-generation": ("iPad Air (5th generation)", "iPad13,17"),
    "iPad-10th-generation": ("iPad (10th generation)", "iPad13,18"),
    "iPad-mini-6th-generation": ("iPad mini (6th generation)", "iPad14,1"),
    "iPad-Pro-11-inch-4th-generation-8GB": ("iPad Pro (11-inch) (4th generation)", "iPad14,3"),
    "iPad-Pro-11-inch-4th-generation-16GB": ("iPad Pro (11-inch) (4th generation) (16GB)", "iPad14,4"),
    "iPad-Pro-12-9-inch-6th-generation-8GB": ("iPad Pro (12.9-inch) (6th generation)", "iPad14,5"),
    "iPad-Pro-12-9-inch-6th-generation-16GB": ("iPad Pro (12.9-inch) (6th generation) (16GB)", "iPad14,5"),
    "iPad-Air-11-inch-M2": ("iPad Air 11-inch (M2)", "iPad14,9"),
    "iPad-Air-13-inch-M2": ("iPad Air 13-inch (M2)", "iPad14,11"),
    "iPad-Pro-11-inch-M4-8GB": ("iPad Pro 11-inch (M4)", "iPad16,4"),
    "iPad-Pro-11-inch-M4-16GB": ("iPad Pro 11-inch (M4) (16GB)", "iPad16,4"),
    "iPad-Pro-13-inch-M4-8GB": ("iPad Pro 13-inch (M4)", "iPad16,6"),
    "iPad-Pro-13-inch-M4-16GB": ("iPad Pro 13-inch (M4) (16GB)", "iPad16,6"),
    "iPad-Pro-13-inch-M5-12GB": ("iPad Pro 13-inch (M5)", "iPad17,4"),
}

_DEVICE_TYPE_PREFIX = "com.apple.CoreSimulator.SimDeviceType."
_BY_NAME = {name.casefold(): model for name, model in _DEVICE_TYPES.values()}


def lookup(model: str, os_version: str | None) -> JetsamLimit | None:
    """The known limit for ``model`` on ``os_version`` (``"17.5"``, ``"iOS 17.5"``), or None.

    When several measurements cover the same model and release, the lowest
    wins: the headroom check should err towards warning early.
    """
    version = parse_version(os_version or "")
    hits = [row for row in ROWS if row.matches(model or "", version)]
    if not hits:
        return None
    row = min(hits, key=lambda r: r.bytes)
    return JetsamLimit(row.bytes, f"{row.source} [measured on {row.measured_on}; used for iOS {row.os_major}.x]")


def unknown_reason(model: str | None, os_version: str | None) -> str:
    """Why :func:`lookup` found nothing, in one sentence a user can act on."""
    if not model:
        return "the device model is unknown, so its jetsam limit is too (give --iosmem-jetsam-limit)"
    version = parse_version(os_version or "")
    name = marketing_name(model)
    label = f"{model} ({name})" if name else model
    known = sorted({row.measured_on for row in ROWS if model in row.models})
    if known:
        text = (f"no public measurement of {label}'s jetsam limit on {os_version or 'this OS'}; "
                f"known only for {', '.join(known)}, and limits move between releases")
    else:
        text = f"no public measurement of {label}'s jetsam limit"
    for report in REPORTS:
        if model.startswith(report.applies_to) and version and version >= report.os_from:
            text += f" (note: {report.text}; {report.source})"
    return text + "; give --iosmem-jetsam-limit to check headroom anyway"


def marketing_name(model: str) -> str | None:
    """``"iPhone15,2"`` -> ``"iPhone 14 Pro"``; None when unknown."""
    if model in _NAMES:
        return _NAMES[model]
    for name, ident in _DEVICE_TYPES.values():
        if ident == model:
            return name
    return None


def model_for_device_type(device_type: str | Mapping[str, Any] | None) -> str | None:
    """A simulator device type's hardware identifier, or None when not known.

    Accepts a ``simctl list -j`` device type entry (its ``modelIdentifier``
    wins when present: newer Xcodes list it), a device type identifier
    (``com.apple.CoreSimulator.SimDeviceType.iPhone-14-Pro``) or a device type
    name (``"iPhone 14 Pro"``).
    """
    if device_type is None:
        return None
    if isinstance(device_type, Mapping):
        listed = device_type.get("modelIdentifier")
        if listed:
            return str(listed)
        for key in ("identifier", "name"):
            found = model_for_device_type(device_type.get(key))
            if found:
                return found
        return None
    text = str(device_type).strip()
    if text.startswith(_DEVICE_TYPE_PREFIX):
        entry = _DEVICE_TYPES.get(text[len(_DEVICE_TYPE_PREFIX):])
        return entry[1] if entry else None
    return _BY_NAME.get(text.casefold())
