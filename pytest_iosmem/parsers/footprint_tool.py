"""``footprint PID``: phys_footprint, its peak, the category table (recorded text output only).

Not used to sample (libproc does that on every Mac); kept for reading saved
``footprint`` output.  Recorded text output
(macOS 26) ends with::

    Auxiliary data:
        phys_footprint: 922 MB
        phys_footprint_peak: 941 MB

and its banner says ``ferryx [70940]: 64-bit    Footprint: 922 MB (16384 bytes per page)``.
An older recorded output (``footprint -p``) has only the banner; then the
banner's number is the footprint and the peak is unknown.  Units are binary
(KB = 1024 bytes), as in Apple's other memory tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import ParseError
from ._common import apple_size
from .vmmap import parse_vmmap_summary  # noqa: F401  (kept importable from here for older callers)

__all__ = ["FootprintCategory", "FootprintReport", "parse_footprint"]

_AUX = re.compile(r"^\s*(phys_footprint|phys_footprint_peak):\s+(.+?)\s*$")
_BANNER = re.compile(r"^(?P<process>.*?) \[(?P<pid>\d+)\]:.*?Footprint: (?P<size>[\d.]+ ?[KMGT]?B)")
_CATEGORY = re.compile(
    r"^\s*(?P<dirty>[\d.]+ [KMGT]?B)\s+(?P<clean>[\d.]+ [KMGT]?B)\s+(?P<recl>[\d.]+ [KMGT]?B)\s+(?P<regions>\d+)\s+(?P<name>\S.*?)\s*$"
)


@dataclass(frozen=True)
class FootprintCategory:
    name: str
    dirty: int
    clean: int
    reclaimable: int
    regions: int


@dataclass(frozen=True)
class FootprintReport:
    footprint: int
    peak: int | None
    process: str | None = None
    pid: int | None = None
    categories: list[FootprintCategory] = field(default_factory=list)


def parse_footprint(text: str) -> FootprintReport:
    """Parse ``footprint`` text output; raises ParseError when neither aux lines nor banner are there."""
    aux: dict[str, int] = {}
    process = pid = banner = None
    categories: list[FootprintCategory] = []
    for line in text.splitlines():
        if m := _AUX.match(line):
            size = apple_size(m.group(2))
            if size is not None:
                aux[m.group(1)] = size
        elif banner is None and (m := _BANNER.match(line)):
            process, pid, banner = m.group("process").strip(), int(m.group("pid")), apple_size(m.group("size"))
        elif m := _CATEGORY.match(line):
            if m.group("name") != "TOTAL":
                categories.append(FootprintCategory(
                    m.group("name"), apple_size(m.group("dirty")) or 0, apple_size(m.group("clean")) or 0,
                    apple_size(m.group("recl")) or 0, int(m.group("regions"))))
    now = aux.get("phys_footprint", banner)
    if now is None:
        raise ParseError("footprint", "no 'phys_footprint:' line and no 'Footprint:' banner", text)
    return FootprintReport(now, aux.get("phys_footprint_peak"), process, pid, categories)
