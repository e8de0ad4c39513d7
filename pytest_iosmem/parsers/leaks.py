"""``leaks`` output: totals, leaked types, ROOT CYCLE / ROOT LEAK roots, stacks; and its exit status.

What a report holds (recorded on iOS Simulators 15.5 and 17.2, macOS 14 and 26)::

    leaks Report Version: 4.0, multi-line stacks
    Process 81862: 16462 nodes malloced for 2106 KB
    Process 81862: 2 leaks for 64 total leaked bytes.

    STACK OF 3 INSTANCES OF 'ROOT LEAK: <LeakySwiftObject>':     (with MallocStackLogging)
    2   libswiftCore.dylib   0x1053f0777 swift_allocObject + 39
    ...
    ====
        2 (64 bytes) ROOT CYCLE: <A 0x600000224fa0> [32]
           1 (32 bytes) b --> ROOT CYCLE: <B 0x6000002255c0> [32]
        1 (32 bytes) ROOT LEAK: <LeakySwiftObject 0x600001431a40> [32]

Only *root* nodes are kept (what a developer fixes); nodes under them are
what the root keeps alive.  Without MallocStackLogging a root may have no
type at all, ``ROOT LEAK: 0x6000017ebc40 [32]`` (recorded on an iOS 15.2
Simulator); it is kept, typed :data:`UNTYPED`, so a diff never reads it as
"no leak".

A restricted process (``Process N is not debuggable. Due to security
restrictions, leaks can only show or save contents of readonly memory…``)
is still scanned: real runs then report 0, 1 (a deliberate leak), 875 and
1241 leaks.  The restriction is on showing and saving *contents*; counts,
sizes and roots stand, and the report keeps the sentence in ``restricted``
so a reader is told contents were not shown.  ``leaks -diffFrom=BEFORE AFTER`` prints the same
report restricted to leaks new since BEFORE (its stdout was not found
recorded anywhere public; the shape is Apple's leaks(1)), so the same parser reads it.

``leaks`` exits 0 when it found no leak, 1 when it found some, and anything
else when it failed itself (could not inspect the process): the three are
kept apart (:func:`interpret_exit`), so a tool failure is never read as
"no leaks".
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from ..errors import ParseError
from ._common import ToolHeader, parse_header

_NOT_DEBUGGABLE = re.compile(r"^Process (\d+) is not debuggable\.?(.*)$", re.MULTILINE)

__all__ = ["UNTYPED", "LeakRoot", "LeakStack", "LeaksReport", "parse_leaks", "interpret_exit", "LeaksOutcome", "split_allowed",
           "inspection_refused", "restricted_note"]

_TOTAL = re.compile(r"^Process (\d+): (\d+) leaks? for (\d+) total leaked bytes\.")
_NODES = re.compile(r"^Process (\d+): (\d+) nodes malloced for (\d+) KB")
_ROOT = re.compile(r"ROOT (CYCLE|LEAK): (?:<(?P<type>.+?)(?: (?P<addr>0x[0-9a-fA-F]+))?>|(?P<bare>0x[0-9a-fA-F]+))"
                   r" \[(?P<size>\d+)\]")
#: The type given to a root printed without one (``ROOT LEAK: 0x6000017ebc40 [32]``).
UNTYPED = "(untyped)"
_VERSION = re.compile(r"^leaks Report Version: ([\d.]+)")
_STACK = re.compile(r"^STACK OF (\d+) INSTANCES? OF '(.*)':\s*$")


@dataclass(frozen=True)
class LeakRoot:
    """A ROOT CYCLE or ROOT LEAK: the object nothing reachable points to."""

    kind: str  # "CYCLE" or "LEAK"
    type: str  # "LeakySwiftObject", "CFDictionary (Value Storage)", "malloc in foo", or UNTYPED
    address: str | None
    size: int  # bytes of the root node itself


@dataclass(frozen=True)
class LeakStack:
    """The allocation stack shared by ``count`` leaked instances (MallocStackLogging on)."""

    count: int
    what: str  # "ROOT LEAK: <LeakySwiftObject>"
    frames: tuple[str, ...]  # outermost first, as printed


@dataclass(frozen=True)
class LeaksReport:
    header: ToolHeader
    report_version: str | None
    pid: int | None
    nodes: int | None
    malloced_kb: int | None
    leaks: int
    leaked_bytes: int
    roots: list[LeakRoot] = field(default_factory=list)
    stacks: list[LeakStack] = field(default_factory=list)
    restricted: str | None = None  # "Process N is not debuggable. …": counts stand, contents were not shown

    @property
    def notes(self) -> tuple[str, ...]:
        """What a reader of the counts must be told (the process was restricted)."""
        note = restricted_note(self.restricted or "")
        return (note,) if note else ()

    @property
    def unread_roots(self) -> bool:
        """Leaks were counted but no root line was read: a diff of these roots would say nothing."""
        return self.leaks > 0 and not self.roots

    @property
    def leaked_types(self) -> Counter[str]:
        """Root count by type, the "what leaked" summary."""
        return Counter(r.type for r in self.roots)

    @property
    def cycles(self) -> list[str]:
        """Types of the ROOT CYCLE nodes (retain cycles), in order."""
        return [r.type for r in self.roots if r.kind == "CYCLE"]


def parse_leaks(text: str, stderr: str = "") -> LeaksReport:
    """Parse ``leaks`` output; raises ParseError when the totals line is missing.

    ``stderr`` is only searched for the "not debuggable" sentence, which a
    terminal shows interleaved with the report and may come on either stream.
    """
    version = None
    pid = nodes = kb = leaks = leaked = None
    roots: list[LeakRoot] = []
    stacks: list[LeakStack] = []
    stack: tuple[int, str, list[str]] | None = None
    for line in text.splitlines():
        if stack is not None:
            if line.strip() == "====" or not line.strip():
                stacks.append(LeakStack(stack[0], stack[1], tuple(stack[2])))
                stack = None
            else:
                stack[2].append(line.strip())
            continue
        if version is None and (m := _VERSION.match(line)):
            version = m.group(1)
        elif m := _NODES.match(line):
            nodes, kb = int(m.group(2)), int(m.group(3))
        elif m := _TOTAL.match(line):
            pid, leaks, leaked = int(m.group(1)), int(m.group(2)), int(m.group(3))
        elif m := _STACK.match(line):
            stack = (int(m.group(1)), m.group(2), [])
        elif line.startswith("Binary Images:"):
            break
        elif m := _ROOT.search(line):
            roots.append(LeakRoot(m.group(1), m.group("type") or UNTYPED, m.group("addr") or m.group("bare"),
                                  int(m.group("size"))))
    if stack is not None:
        stacks.append(LeakStack(stack[0], stack[1], tuple(stack[2])))
    if leaks is None or leaked is None:
        raise ParseError("leaks", "no 'Process N: K leaks for B total leaked bytes.' line", text)
    restricted = _NOT_DEBUGGABLE.search(text) or _NOT_DEBUGGABLE.search(stderr)
    return LeaksReport(parse_header(text), version, pid, nodes, kb, leaks, leaked, roots, stacks,
                       restricted.group(0).strip() if restricted else None)


_TOTALS_ANYWHERE = re.compile(_TOTAL.pattern, re.MULTILINE)
#: How the task port refusal reads: task_for_pid's own name, leaks/heap's "unable to get task",
#: "Failed to get DYLD info for task" (macOS 26 against an iOS 26 simulator process), and
#: "Not allowed to attach to process" (debugserver's refusal, as lldb prints it).
_TASK_REFUSED = re.compile(r"task_for_pid|unable to get task|Failed to get DYLD info for task|"
                           r"not permitted to (?:debug|inspect)|not allowed to attach", re.IGNORECASE)

#: What to do, said once for both kinds of refusal.
DEBUGGABLE_HINT = ("the app must be debuggable: a Debug build (get-task-allow), run by the user who runs "
                   "the tests, with developer tools allowed (DevToolsSecurity -enable; the user in the "
                   "_developer group)")
SIMULATOR_TASK_HINT = ("recent macOS releases are reported to refuse heap/leaks on simulator processes; "
                       "check DevToolsSecurity -status, run the tools from a user in the _developer group, "
                       "or capture a memory graph in Xcode (Debug Memory Graph, File > Export) and run "
                       "leaks/heap on that file")


def inspection_refused(stdout: str, stderr: str = "", tool: str = "leaks") -> str | None:
    """Why ``leaks``/``heap`` could not inspect the process at all, or None when it could.

    ``Process N is not debuggable…`` followed by a report is *not* a refusal:
    the scan ran and its counts stand (see :attr:`LeaksReport.restricted`).
    Only when no totals line follows is it one.  A refused task port
    (``task_for_pid`` failures, ``Failed to get DYLD info for task``) is
    "leak check not possible", with what to do.
    """
    m = _NOT_DEBUGGABLE.search(stdout) or _NOT_DEBUGGABLE.search(stderr)
    if m and not _TOTALS_ANYWHERE.search(stdout):
        why = f"process {m.group(1)} is not debuggable ({m.group(2).strip() or 'security restrictions'})"
        return f"{tool}: leak check not possible: {why}; {DEBUGGABLE_HINT}"
    for text in (stderr, stdout):
        t = _TASK_REFUSED.search(text)
        if t:
            line = next((ln.strip() for ln in text.splitlines() if t.group(0) in ln), t.group(0))
            return f"{tool}: leak check not possible: the process's task port was refused ({line}); {SIMULATOR_TASK_HINT}"
    return None


def restricted_note(stdout: str, stderr: str = "") -> str | None:
    """What to tell a reader when leaks ran on a restricted process (contents hidden), else None."""
    m = _NOT_DEBUGGABLE.search(stdout) or _NOT_DEBUGGABLE.search(stderr)
    if m is None:
        return None
    return (f"leaks ran on a restricted process ({m.group(0).strip()}): counts, sizes and roots are real, "
            "but the contents of writable memory were not shown or saved")


def interpret_exit(code: int) -> str:
    """``"clean"`` (0), ``"leaks"`` (1) or ``"failed"`` (anything else: the tool's own failure)."""
    return {0: "clean", 1: "leaks"}.get(code, "failed")


@dataclass(frozen=True)
class LeaksOutcome:
    """One run of ``leaks``: how it exited, what it printed, and the report when it ran."""

    status: str  # clean | leaks | failed
    exit_code: int
    report: LeaksReport | None
    stderr: str = ""


def split_allowed(roots: Iterable[LeakRoot], allowlist: Iterable[str]) -> tuple[list[LeakRoot], list[LeakRoot]]:
    """(roots not allowed, roots matched by an allowlist pattern).

    Patterns are shell-style (``fnmatch``) on the root's type: ``"NSXPC*"``,
    ``"malloc in libSystem*"``.  Real apps show thousands of system-framework
    "leaks"; the allowlist names the known ones so the diff stays about the app.
    """
    patterns = [p.strip() for p in allowlist if p and p.strip()]
    kept: list[LeakRoot] = []
    allowed: list[LeakRoot] = []
    for root in roots:
        (allowed if any(fnmatch.fnmatchcase(root.type, p) for p in patterns) else kept).append(root)
    return kept, allowed
