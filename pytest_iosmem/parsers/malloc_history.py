"""``malloc_history``: allocation stacks, as three recorded shapes of output, 2007 to Xcode 26.

``-allBySize`` (and the 2007 ``-all_by_size``): one record per stack, the
stack on one line, frames separated by ``|``, outermost first::

    2 calls for 1003520 bytes: thread_700005856000 | start_wqthread | ... | -[NSConcreteMutableData initWithLength:]

(mail clients wrap these lines; a record runs to the next blank line or
record, and wrapped lines are joined with a space).

``-callTree`` (with or without ``-showContent``): a call graph, one frame a
line, its depth given by the column its count starts at::

    Call graph:
        76221 (13.0M) << TOTAL >>
          57934 (7.82M) Thread_ec1f13c1
          + 56356 (7.50M) start  (in libdyld.dylib) + 1  [0x7fffe32d4235]

A node's own blocks are its count minus its children's; each node with
blocks of its own becomes one stack (root to node).  Sizes in the tree are
rounded by the tool ("7.82M"), so bytes from a call tree are approximate.
Not every tree starts at ``<< TOTAL >>``: a recorded ``-callTree
-showContent`` starts at its first real frame (``1 (4.00K) _dyld_start``),
which is then a frame like any other, never dropped.  ``-showContent`` puts a
``CONTENT:  malloc<4096>`` line under the frame that allocated the block: it
describes the block (kept in the node's ``contents``), it is not a frame.

An address (``malloc_history PID ADDRESS``): ``ALLOC``/``FREE`` events of
the blocks at that address, each with its stack on one line.

What newer Xcodes add is read or ignored: the ``Analysis Tool Version:``
and footprint header lines, "Stack logging was dynamically enabled…" and
"Stack logging was enabled for N seconds…" (kept as notes: stacks are
missing for earlier allocations), "Malloc blocks with no stack: N total
size: S" (kept as numbers).  Lines a person added around a pasted excerpt
(a ``$ command`` line, cut marks such as ``[..]``, ``[...]``, ``...``, ``…``,
``(snip)`` or a Japanese post's ``(省略)``, also behind the tree's ``+ ! :``
guides, a common indentation) are tolerated; a cut after the report began
is recorded in ``truncated``, one before it in ``notes``.

In an address history, a record's first ``|`` part is its thread only when
it reads like one (``thread_a08eb500``); newer records start straight at a
frame (``0x19a0b3154 (dyld) start``) and keep every frame.

Not covered, because no public recording of them exists: ``-allEvents``,
``-allByCount`` and ``-highWaterMark`` output.
Unknown lines inside a call graph are counted in ``skipped``, not guessed at.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from ..errors import ParseError
from ..attribution.stacks import Frame, Generation, StackStat
from ._common import ToolHeader, apple_size, parse_header

__all__ = ["AddressEvent", "CallNode", "MallocHistoryReport", "parse_malloc_history"]

TOOL = "malloc_history"

_RECORD = re.compile(r"^(?P<count>\d+) calls? for (?P<bytes>\d+) bytes?:\s*(?P<rest>.*)$")
_EVENT = re.compile(
    r"^(?P<kind>ALLOC|FREE)\s+0x(?P<start>[0-9a-fA-F]+)(?:-0x(?P<end>[0-9a-fA-F]+))?"
    r"(?:\s+\[size=(?P<size>\d+)\])?:\s*(?P<rest>.*)$"
)
_NODE = re.compile(r"^(?P<prefix>[ +!:|]*?)(?P<count>\d+) \((?P<size>[^)]*)\) (?P<what>.*)$")
_IN_LIB = re.compile(r"^(?P<fn>.*?)\s+\(in (?P<lib>[^)]+)\)(?:\s+\+\s*\d+)?(?:\s+\[0x[0-9a-fA-F]+\])?(?:\s+.*)?$")
_NO_STACK = re.compile(r"^\s*(?P<what>Malloc blocks|VM regions) with no stack:\s*(?P<n>\d+)\s+total size:\s*(?P<size>\S+)")
_CUT = re.compile(r"^[\s+!:|]*(\[\.\.\.?\]|\[…\]|\.\.\.|…|\(\.\.\.\)|[(\[<]snip[)\]>]|\(省略\))\s*$", re.IGNORECASE)
_THREAD = re.compile(r"^[Tt]hread_[0-9A-Za-z]+$")
_CONTENT = "CONTENT:"
_TOTAL_NODE = "<< TOTAL >>"
_NOTE_PREFIXES = ("Stack logging was", "Deallocation of", "VM region sizes shown", "malloc_history cannot",
                  "Process has no", "No stack logging", "process ", "Malloc stack logging")
_TREE_END = "Total number in stack"


@dataclass(frozen=True)
class AddressEvent:
    """One ``ALLOC``/``FREE`` of a block at the address asked about, with its stack (outermost first)."""

    kind: str  # "ALLOC" or "FREE"
    start: int
    end: int | None
    size: int | None
    thread: str
    frames: tuple[str, ...]


@dataclass
class CallNode:
    """One node of ``-callTree``'s call graph."""

    count: int
    bytes: int | None  # the tool rounds sizes: approximate
    frame: Frame
    children: list["CallNode"] = field(default_factory=list)
    contents: list[str] = field(default_factory=list)  # -showContent: "malloc<4096>", what the blocks hold

    def self_count(self) -> int:
        return max(0, self.count - sum(c.count for c in self.children))

    def self_bytes(self) -> int:
        own = (self.bytes or 0) - sum(c.bytes or 0 for c in self.children)
        return max(0, own)


@dataclass(frozen=True)
class MallocHistoryReport:
    """What one ``malloc_history`` output says; ``kind`` is "allBySize", "callTree" or "address"."""

    kind: str
    header: ToolHeader
    stacks: tuple[StackStat, ...] = ()  # allBySize records, or the call tree's stacks
    events: tuple[AddressEvent, ...] = ()
    tree: CallNode | None = None
    notes: tuple[str, ...] = ()
    no_stack_blocks: tuple[int, int] | None = None  # (count, bytes) of "Malloc blocks with no stack"
    no_stack_regions: tuple[int, int] | None = None  # (count, bytes) of "VM regions with no stack"
    truncated: bool = False  # the text ends in a cut mark ("[..]", "...") or a record is elided
    skipped: int = 0  # lines inside the call graph that were not nodes

    @property
    def approximate(self) -> bool:
        """Bytes read from a call tree are the tool's rounded sizes."""
        return self.kind == "callTree"

    def generation(self) -> Generation:
        """The live allocations grouped by stack, for :func:`pytest_iosmem.stacks.grown_stacks`."""
        if self.kind == "address":
            raise ParseError(TOOL, "an address history lists one block's events, not live allocations by stack; "
                             "run malloc_history with -allBySize or -callTree")
        notes = list(self.notes)
        if self.truncated:
            notes.append("the output was cut: stacks after the cut are missing")
        if self.approximate:
            notes.append("bytes from -callTree are the tool's rounded sizes")
        return Generation(self.stacks, f"malloc_history -{self.kind}", None, tuple(notes))


def _split_frames(rest: str) -> tuple[str, tuple[str, ...]]:
    """``thread_X |start | main`` -> ("thread_X", ("start", "main")); empty frames dropped.

    A record with no thread name (``0x19a0b3154 (dyld) start | …``) keeps its first frame.
    """
    parts = [p.strip() for p in rest.split("|")]
    parts = [p for p in parts if p]
    if not parts:
        return "", ()
    if not _THREAD.match(parts[0]):
        return "", tuple(parts)
    return parts[0], tuple(parts[1:])


def _dedent(text: str) -> str:
    """Remove a common indentation a blog or markdown code block added (the tool prints none)."""
    lines = text.expandtabs(8).splitlines()
    body = [ln for ln in lines if ln.strip()]
    if body and all(ln.startswith(" ") for ln in body):
        return textwrap.dedent("\n".join(lines))
    return "\n".join(lines)


def _is_extra(line: str) -> bool:
    """A line a person added to a pasted excerpt: a shell command, a label."""
    s = line.strip()
    return s.startswith("$ ") or s.startswith("# ")


def _parse_tree(lines: list[str], start: int) -> tuple[CallNode | None, int, bool, int]:
    """The call graph from ``lines[start:]``: (root, skipped lines, cut, index after the graph).

    The root is the ``<< TOTAL >>`` node when the tree has one; otherwise a
    ``<< TOTAL >>`` made here over the tree's top nodes, so every real frame
    stays a frame.
    """
    tops: list[CallNode] = []
    path: list[tuple[int, CallNode]] = []  # (column, node) from a top node down
    skipped = 0
    cut = False
    i = start
    for i in range(start, len(lines)):
        line = lines[i]
        if not line.strip():
            if tops:
                break  # a blank line ends the graph
            continue
        if line.lstrip().startswith(_TREE_END):
            break
        if _CUT.match(line):
            cut = True
            break
        m = _NODE.match(line)
        if m is None:
            skipped += 1
            continue
        column = len(m.group("prefix"))
        what = m.group("what").strip()
        while path and path[-1][0] >= column:
            path.pop()
        if what.startswith(_CONTENT):  # the block's content, under the frame that allocated it
            if path:
                path[-1][1].contents.append(what[len(_CONTENT):].strip())
            else:
                skipped += 1
            continue
        lib = _IN_LIB.match(what)
        frame = Frame(lib.group("fn").strip(), lib.group("lib").strip()) if lib else Frame(what)
        size_text = m.group("size").strip()
        size = apple_size(size_text)
        if size is None and (bm := re.match(r"^(\d+) bytes?$", size_text)):
            size = int(bm.group(1))
        node = CallNode(int(m.group("count")), size, frame)
        if path:
            path[-1][1].children.append(node)
        elif tops and tops[0].frame.function == _TOTAL_NODE:
            skipped += 1  # a second top-level node beside << TOTAL >>: not a tree we know
            continue
        else:
            tops.append(node)
        path.append((column, node))
    else:
        i = len(lines)
    if not tops:
        return None, skipped, cut, i
    if len(tops) == 1 and tops[0].frame.function == _TOTAL_NODE:
        return tops[0], skipped, cut, i
    total = CallNode(sum(t.count for t in tops), sum(t.bytes or 0 for t in tops), Frame(_TOTAL_NODE), tops)
    return total, skipped, cut, i


def _tree_stacks(root: CallNode) -> list[StackStat]:
    """Each node with blocks of its own -> one stack; the ``<< TOTAL >>`` root is not a frame."""
    out: list[StackStat] = []
    todo: list[tuple[CallNode, tuple[Frame, ...]]] = [(c, (c.frame,)) for c in root.children]
    if not root.children and root.count:
        out.append(StackStat((root.frame,), root.count, root.bytes or 0))
    while todo:
        node, frames = todo.pop()
        if node.self_count() or node.self_bytes():
            out.append(StackStat(frames, node.self_count(), node.self_bytes()))
        todo.extend((c, frames + (c.frame,)) for c in node.children)
    return out


def parse_malloc_history(text: str) -> MallocHistoryReport:
    """Parse one ``malloc_history`` output; raises ParseError when it holds no record, tree or event."""
    if not isinstance(text, str):
        raise ParseError(TOOL, f"expected text, got {type(text).__name__}")
    body = _dedent(text)
    lines = body.splitlines()
    header = parse_header("\n".join(ln for ln in lines if not _is_extra(ln)))
    notes: list[str] = []
    records: list[StackStat] = []
    events: list[AddressEvent] = []
    no_stack_blocks = no_stack_regions = None
    tree: CallNode | None = None
    skipped = 0
    truncated = False
    current: list[str] | None = None  # the lines of the -allBySize record being read

    def close_record() -> None:
        nonlocal current, truncated
        if current is None:
            return
        joined = " ".join(s.strip() for s in current)
        m = _RECORD.match(joined)
        current = None
        if m is None:  # pragma: no cover - current starts with a matching line
            return
        _thread, frames = _split_frames(m.group("rest"))
        thread = _thread
        if "..." in frames:
            truncated = True
        all_frames = (thread,) + frames if thread else frames
        records.append(StackStat(tuple(Frame(f) for f in all_frames), int(m.group("count")), int(m.group("bytes"))))

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        i += 1
        if _is_extra(line):
            continue
        if stripped == "Call graph:":
            close_record()
            tree, skipped, cut, end = _parse_tree(lines, i)
            # a cut mark after the graph's blank line cut the graph too
            truncated = truncated or cut or any(_CUT.match(ln) for ln in lines[end:])
            break
        if _CUT.match(line):
            close_record()
            if records or events:
                truncated = True
            else:
                notes.append(f"lines before the report were cut ({stripped})")
            continue
        if m := _NO_STACK.match(line):
            size = apple_size(m.group("size")) or 0
            pair = (int(m.group("n")), size)
            if m.group("what") == "Malloc blocks":
                no_stack_blocks = pair
            else:
                no_stack_regions = pair
            continue
        if _RECORD.match(stripped):
            close_record()
            current = [stripped]
            continue
        if m := _EVENT.match(stripped):
            close_record()
            thread, frames = _split_frames(m.group("rest"))
            if "..." in frames:
                truncated = True
            events.append(AddressEvent(
                m.group("kind"), int(m.group("start"), 16), int(m.group("end"), 16) if m.group("end") else None,
                int(m.group("size")) if m.group("size") else None, thread, frames,
            ))
            continue
        if not stripped:
            close_record()
            continue
        if current is not None:
            current.append(stripped)  # a wrapped continuation of the record
            continue
        if stripped.startswith(_NOTE_PREFIXES):
            notes.append(stripped)
    close_record()
    if tree is not None:
        if records or events:
            raise ParseError(TOOL, "both a call graph and -allBySize records or ALLOC/FREE events: "
                             "two outputs pasted together?", text)
        return MallocHistoryReport("callTree", header, tuple(_tree_stacks(tree)), (), tree, tuple(notes),
                                   no_stack_blocks, no_stack_regions, truncated, skipped)
    if records and events:
        raise ParseError(TOOL, "both '-allBySize' records and ALLOC/FREE events: two outputs pasted together?", text)
    if records:
        return MallocHistoryReport("allBySize", header, tuple(records), (), None, tuple(notes),
                                   no_stack_blocks, no_stack_regions, truncated)
    if events:
        return MallocHistoryReport("address", header, (), tuple(events), None, tuple(notes),
                                   no_stack_blocks, no_stack_regions, truncated)
    why = "no 'N calls for B bytes:' record, no 'Call graph:' and no ALLOC/FREE event"
    if notes:
        why += f" (it says: {notes[0][:120]})"
    raise ParseError(TOOL, why, text)
