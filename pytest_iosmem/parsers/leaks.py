"""``leaks`` output: totals, leaked types, ROOT CYCLE / ROOT LEAK roots; and its exit status.

``leaks`` exits 0 when it found no leak, 1 when it found some, and anything
else when it failed itself (could not inspect the process): the three are
kept apart (:func:`interpret_exit`), so a tool failure is never read as
"no leaks".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..errors import ParseError

__all__ = ["LeaksReport", "parse_leaks", "interpret_exit"]

_TOTAL = re.compile(r"^Process (\d+): (\d+) leaks? for (\d+) total leaked bytes\.")
_NODES = re.compile(r"^Process (\d+): (\d+) nodes malloced for (\d+) KB")
_ROOT = re.compile(r"ROOT (CYCLE|LEAK): <([^>]+?)(?: 0x[0-9a-fA-F]+)?> \[(\d+)\]")
_VERSION = re.compile(r"^leaks Report Version: ([\d.]+)")


@dataclass
class LeaksReport:
    pid: int | None
    leaks: int
    leaked_bytes: int
    report_version: str | None
    roots: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, type, bytes)

    @property
    def leaked_types(self) -> Counter:
        return Counter(t for _kind, t, _b in self.roots)

    @property
    def cycles(self) -> list[str]:
        return [t for kind, t, _b in self.roots if kind == "CYCLE"]


def parse_leaks(text: str) -> LeaksReport:
    pid = leaks = leaked = None
    version = None
    roots = []
    for line in text.splitlines():
        if version is None and (m := _VERSION.match(line)):
            version = m.group(1)
        if m := _TOTAL.match(line):
            pid, leaks, leaked = int(m.group(1)), int(m.group(2)), int(m.group(3))
            continue
        if "STACK OF" in line:
            continue
        if m := _ROOT.search(line):
            roots.append((m.group(1), m.group(2), int(m.group(3))))
    if leaks is None:
        raise ParseError("leaks", "no 'Process N: K leaks for B total leaked bytes.' line", text)
    return LeaksReport(pid, leaks, leaked, version, roots)


def interpret_exit(code: int) -> str:
    """'clean', 'leaks' or 'failed' from the exit status of ``leaks``."""
    return {0: "clean", 1: "leaks"}.get(code, "failed")
