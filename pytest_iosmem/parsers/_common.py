"""What ``heap``, ``leaks``, ``vmmap`` and ``footprint`` share: sizes like ``11.5M`` and the report header.

Their header (``Process:``, ``Platform:``, ``Analysis Tool Version:``,
``Physical footprint:`` ...) says which process was inspected and with
which tool build, which is what a failure message needs when the numbers
look wrong (a macOS tool against a simulator process, for instance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ToolHeader", "parse_header", "apple_size"]

# Apple's memory tools print binary units: K = 1024 bytes, "1.53K", "919.0M", "6.0G", "922 MB", "0 B".
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)
_FACTOR = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def apple_size(text: str) -> int | None:
    """``"11.5M"`` -> 12058624, ``"922 MB"`` -> bytes, ``"824"`` -> 824; None if it is not a size."""
    m = _SIZE.match(text)
    if not m:
        return None
    return int(float(m.group(1)) * _FACTOR[m.group(2).upper()])


@dataclass(frozen=True)
class ToolHeader:
    """The ``Process: ... ----`` block the tools print first (every field optional)."""

    process: str | None = None  # "ByteBuddyExample"
    pid: int | None = None
    platform: str | None = None  # "iOS Simulator", "macOS"
    os_version: str | None = None
    analysis_tool: str | None = None  # path of the tool that ran
    analysis_tool_version: str | None = None  # "iOS Simulator 17.2 (21C62)", "Xcode 15.4 (15F31d)"
    footprint: int | None = None  # "Physical footprint:" in bytes
    footprint_peak: int | None = None  # "Physical footprint (peak):"


class HeaderFootprint:
    """Mixin for a report with a ``header``: its footprint lines, for callers that only want these."""

    header: ToolHeader

    @property
    def footprint(self) -> int | None:
        return self.header.footprint

    @property
    def footprint_peak(self) -> int | None:
        return self.header.footprint_peak


_FIELDS = {
    "Platform": "platform",
    "OS Version": "os_version",
    "Analysis Tool": "analysis_tool",
    "Analysis Tool Version": "analysis_tool_version",
}


def parse_header(text: str) -> ToolHeader:
    """The header fields found in ``text`` (an empty header when there is none)."""
    values: dict[str, object] = {}
    for line in text.splitlines():
        if line.startswith("----"):
            break
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "Process" and "process" not in values:
            m = re.match(r"^(.*?)\s*\[(\d+)\]$", value)
            values["process"], values["pid"] = (m.group(1), int(m.group(2))) if m else (value, None)
        elif key == "Physical footprint":
            values["footprint"] = apple_size(value)
        elif key == "Physical footprint (peak)":
            values["footprint_peak"] = apple_size(value)
        elif key in _FIELDS:
            values[_FIELDS[key]] = value
    return ToolHeader(**values)  # type: ignore[arg-type]
