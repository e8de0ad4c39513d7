"""``heap PID``: the class histogram (instances and bytes by class), with the report header.

The ``All zones`` table::

       COUNT      BYTES       AVG   CLASS_NAME                 TYPE    BINARY
       =====      =====       ===   ==========                 ====    ======
        4891     176576      36.1   CFString                   ObjC    CoreFoundation
        2591     664816     256.6   non-object
    17142676  2240253760     130.7   non-object

Class names may contain spaces and overflow their column, and big counts
run into the next column, so a row is read from both ends: three numbers on
the left, then TYPE and BINARY on the right when present.  Two recorded
generations differ in the "Found" line (one line per kind on an iOS 17.2
Simulator, one ``Found:`` line on macOS 26); both are read.  With
MallocStackLogging, ``non-object`` rows get names derived from stacks; they
are rows like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import ParseError
from ..values import ClassStat
from ._common import HeaderFootprint, ToolHeader, parse_header

__all__ = ["HeapRow", "HeapReport", "parse_heap"]

_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+([\d.]+)\s+(\S.*?)\s*$")
_TYPED = re.compile(r"^(?P<name>.+?)\s{2,}(?P<type>ObjC|Swift|C\+\+|CFType|C)(?:\s+(?P<binary>\S+))?$")
_TABLE_HEAD = re.compile(r"^\s*COUNT\s+BYTES\s+AVG\s+CLASS_NAME")
_TOTAL = re.compile(r"^All zones: (\d+) nodes \((\d+) bytes\)")
_FOUND = re.compile(r"(\d+) (ObjC classes|Swift classes|C\+\+ classes|CFTypes)")


@dataclass(frozen=True)
class HeapRow:
    """One row of the table. ``type``/``binary`` are empty for ``non-object`` and untyped rows."""

    name: str
    count: int
    bytes: int
    type: str = ""
    binary: str = ""

    def stat(self) -> ClassStat:
        return ClassStat(self.name, self.count, self.bytes)


@dataclass(frozen=True)
class HeapReport(HeaderFootprint):
    header: ToolHeader
    total_nodes: int | None
    total_bytes: int | None
    found: dict[str, int] = field(default_factory=dict)  # {"ObjC classes": 965, "Swift classes": 62, ...}
    rows: list[HeapRow] = field(default_factory=list)

    @property
    def classes(self) -> list[ClassStat]:
        """The histogram as :class:`ClassStat` (what attribution diffs)."""
        return [r.stat() for r in self.rows]

    # the header's fields, for callers that only want these
    @property
    def process(self) -> str | None:
        h = self.header
        return f"{h.process} [{h.pid}]" if h.process and h.pid is not None else h.process


def parse_heap(text: str) -> HeapReport:
    """Parse ``heap PID`` / ``heap -s PID`` output; raises ParseError when there is no class table."""
    found: dict[str, int] = {}
    rows: list[HeapRow] = []
    total_nodes = total_bytes = None
    state = "before"  # before -> table -> after
    for line in text.splitlines():
        if state == "before":
            if line.startswith("Found"):
                for count, kind in _FOUND.findall(line):
                    found[kind] = int(count)
            elif m := _TOTAL.match(line):
                total_nodes, total_bytes = int(m.group(1)), int(m.group(2))
            elif _TABLE_HEAD.match(line):
                state = "table"
            continue
        if state != "table" or re.match(r"^\s*=+", line):
            continue
        row = _ROW.match(line)
        if row is None:
            if line.strip() or rows:
                state = "after"  # the table ends at its first non-row line (or blank line after rows)
            continue
        count, size, _avg, rest = row.groups()
        typed = _TYPED.match(rest)
        if typed:
            rows.append(HeapRow(typed.group("name").strip(), int(count), int(size), typed.group("type"),
                                typed.group("binary") or ""))
        else:
            rows.append(HeapRow(rest.strip(), int(count), int(size)))
    if state == "before":
        header = parse_header(text)
        why = "no 'COUNT BYTES AVG CLASS_NAME' table"
        if header.process:  # a header and no table: the output was cut (or heap stopped) before the table
            why += f" after the header of {header.process} [{header.pid}]: the output ends before the class table"
        raise ParseError("heap", why, text)
    return HeapReport(parse_header(text), total_nodes, total_bytes, found, rows)
