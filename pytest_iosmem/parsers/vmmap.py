"""``vmmap -summary PID``: physical footprint and its peak, and the REGION TYPE table.

The footprint lines come from the common header (``Physical footprint:``,
``Physical footprint (peak):``); the region table reads, per region type,
virtual / resident / dirty / swapped sizes and the region count::

                                    VIRTUAL RESIDENT    DIRTY  SWAPPED VOLATILE   NONVOL    EMPTY   REGION
    REGION TYPE                        SIZE     SIZE     SIZE     SIZE     SIZE     SIZE     SIZE    COUNT (non-coalesced)
    ===========                     ======= ========    =====  ======= ========   ======    =====  =======
    MALLOC_SMALL                      83.5M    38.4M    28.8M    17.0M       0K       0K       0K       93         see MALLOC ZONE table below

Region names contain spaces and a free-text note may follow the count, so
a row is read as: name, then eight size/count columns.  Tested on macOS 26
(summary) and macOS 13 (the head of a full ``vmmap``, header only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import ParseError
from ._common import HeaderFootprint, ToolHeader, apple_size, parse_header

__all__ = ["VmRegion", "VmmapSummary", "parse_vmmap_summary"]

_SIZE_TOKEN = r"\d+(?:\.\d+)?[KMGT]?"
_REGION = re.compile(
    rf"^(?P<name>\S.*?)\s+(?P<sizes>(?:{_SIZE_TOKEN}\s+){{7}})(?P<count>\d+)(?:\s+(?P<note>\S.*?))?\s*$"
)


@dataclass(frozen=True)
class VmRegion:
    name: str
    virtual: int
    resident: int
    dirty: int
    swapped: int
    volatile: int
    nonvolatile: int
    empty: int
    count: int
    note: str = ""


@dataclass(frozen=True)
class VmmapSummary(HeaderFootprint):
    header: ToolHeader
    regions: list[VmRegion] = field(default_factory=list)
    total: VmRegion | None = None


def parse_vmmap_summary(text: str) -> VmmapSummary:
    """Parse ``vmmap -summary`` (or the header of any vmmap report); needs a ``Physical footprint:`` line."""
    header = parse_header(text)
    if header.footprint is None:
        raise ParseError("vmmap", "no 'Physical footprint:' line", text)
    regions: list[VmRegion] = []
    total = None
    in_table = False
    for line in text.splitlines():
        if line.startswith("REGION TYPE"):
            in_table = True
            continue
        if not in_table or line.startswith("==="):
            continue
        if not line.strip() or line.startswith("MALLOC ZONE"):
            in_table = False
            continue
        m = _REGION.match(line)
        if m is None:
            continue  # a line this parser does not know: tolerated
        sizes = [apple_size(t) or 0 for t in m.group("sizes").split()]
        region = VmRegion(m.group("name"), *sizes, count=int(m.group("count")), note=m.group("note") or "")
        if region.name == "TOTAL":
            total = region
        elif not region.name.startswith("TOTAL"):
            regions.append(region)
    return VmmapSummary(header, regions, total)
