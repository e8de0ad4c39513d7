"""``heap PID``: the class histogram (instances and bytes by class) and the footprint lines.

Reads the ``All zones`` table::

       COUNT      BYTES       AVG   CLASS_NAME                 TYPE    BINARY
       =====      =====       ===   ==========                 ====    ======
        4891     176576      36.1   CFString                   ObjC    CoreFoundation
        2591     664816     256.6   non-object

Class names may contain spaces and overflow their column, so a row is read
from both ends: three numbers on the left, then TYPE and BINARY on the right
when present.  Tested on an iOS 17.2 Simulator and a macOS 26 recording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ParseError
from ..targets.base import ClassStat

__all__ = ["HeapReport", "parse_heap"]

_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+([\d.]+)\s+(.+?)\s*$")
_TYPED = re.compile(r"^(?P<name>.+?)\s{2,}(?P<type>ObjC|Swift|C\+\+|CFType|C)(?:\s+(?P<binary>\S+))?$")
_FOOTPRINT = re.compile(r"^Physical footprint( \(peak\))?:\s+([\d.]+)([KMGT]?)\s*$")
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


@dataclass(frozen=True)
class HeapReport:
    process: str | None
    footprint: int | None
    footprint_peak: int | None
    total_bytes: int | None
    classes: list[ClassStat]


def parse_heap(text: str) -> HeapReport:
    process = footprint = peak = total = None
    classes: list[ClassStat] = []
    in_table = seen_table = False
    for line in text.splitlines():
        if line.startswith("Process:") and process is None:
            process = line.split(":", 1)[1].strip()
        m = _FOOTPRINT.match(line)
        if m:
            value = int(float(m.group(2)) * _UNITS[m.group(3)])
            if m.group(1):
                peak = value
            else:
                footprint = value
            continue
        if not seen_table:
            m = re.match(r"^All zones: \d+ nodes \((\d+) bytes\)", line)
            if m:
                total = int(m.group(1))
                continue
            if re.match(r"^\s*COUNT\s+BYTES\s+AVG\s+CLASS_NAME", line):
                in_table = seen_table = True
            continue
        if in_table:
            if re.match(r"^\s*=+", line):
                continue
            row = _ROW.match(line)
            if not row:
                if line.strip():
                    in_table = False
                    continue
                if classes:
                    in_table = False
                continue
            count, size, _avg, rest = row.groups()
            typed = _TYPED.match(rest)
            name = typed.group("name") if typed else rest
            classes.append(ClassStat(name.strip(), int(count), int(size)))
    if not seen_table:
        raise ParseError("heap", "no 'COUNT BYTES AVG CLASS_NAME' table", text)
    return HeapReport(process, footprint, peak, total, classes)
