"""``footprint`` and ``vmmap -summary``: phys_footprint and its peak, the fallback to libproc.

``footprint --format bytes PID`` / ``footprint PID`` end with::

    phys_footprint: 922 MB
    phys_footprint_peak: 941 MB

``vmmap -summary`` (and ``heap``/``leaks`` headers) say::

    Physical footprint:         919.0M
    Physical footprint (peak):  941.4M
"""

from __future__ import annotations

import re

from ..errors import ParseError

__all__ = ["parse_footprint", "parse_vmmap_summary"]

_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3}
_AUX = re.compile(r"^\s*(phys_footprint|phys_footprint_peak):\s+([\d.]+)\s*([KMG]?B?)\s*$")
_HEADER = re.compile(r"^Physical footprint( \(peak\))?:\s+([\d.]+)([KMG]?)\s*$")


def _bytes(number: str, unit: str) -> int:
    return int(float(number) * _UNITS[unit.upper()])


def parse_footprint(text: str) -> tuple[int, int | None]:
    """(phys_footprint, phys_footprint_peak) from ``footprint`` output."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        m = _AUX.match(line)
        if m:
            values[m.group(1)] = _bytes(m.group(2), m.group(3))
    if "phys_footprint" not in values:
        m = re.search(r"Footprint: ([\d.]+) ([KMG]?B)", text)
        if not m:
            raise ParseError("footprint", "no phys_footprint line", text)
        values["phys_footprint"] = _bytes(m.group(1), m.group(2))
    return values["phys_footprint"], values.get("phys_footprint_peak")


def parse_vmmap_summary(text: str) -> tuple[int, int | None]:
    """(footprint, peak) from ``vmmap -summary`` (or any report with those header lines)."""
    found: dict[bool, int] = {}
    for line in text.splitlines():
        m = _HEADER.match(line)
        if m:
            found[bool(m.group(1))] = _bytes(m.group(2), m.group(3))
    if False not in found:
        raise ParseError("vmmap", "no 'Physical footprint:' line", text)
    return found[False], found.get(True)
