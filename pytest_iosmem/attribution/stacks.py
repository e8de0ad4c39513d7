"""Who allocated what grew: live allocations grouped by stack, diffed between two generations. Pure.

A *generation* is what the app holds, grouped by the stack that allocated
it, at one moment: ``malloc_history -allBySize`` / ``-callTree`` on a
simulator or a memory graph, or the reference app's tracemalloc snapshot
(``/iosmem/stacks``).  Taken at the first and the last measured iteration
(the moments the class histograms are taken), the stacks whose live bytes
or block count grew, divided by the iterations between them, answer the
question a class name leaves open: ``+512 KiB per iteration, allocated in
DetailViewController.loadImage ← viewDidLoad``.

What is "system" is decided by :class:`StackRules`: fnmatch patterns over a
frame's function, library and file.  A frame that matches an *app* pattern
is the app's own, whatever else it matches; otherwise a frame matching a
*system* pattern is folded.  Frames that match neither are shown (an
unknown library is more likely the app's than Apple's).  The defaults are
:data:`DEFAULT_SYSTEM` (Apple's frameworks and libraries, the allocator,
the thread entry points, Python's standard library) and no app pattern.

Stacks are stored outermost first (``thread | start | main | … | malloc``,
the order ``malloc_history`` prints and tracemalloc keeps); what a person
reads is the other way round: the app's innermost frame (the allocation
site) first, then its callers.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ..units import format_size

__all__ = [
    "Frame",
    "StackStat",
    "Generation",
    "StackRules",
    "StackGrowth",
    "DEFAULT_SYSTEM",
    "NOISE_FLOOR",
    "grown_stacks",
    "format_grown_stacks",
    "stack_lines",
    "generation_from_dict",
    "parse_rule_patterns",
    "CallerNode",
    "caller_tree",
]

#: Stacks that grew less than this many bytes per iteration are allocator and
#: runtime noise (interned strings, dict resizes, a socket buffer), not a leak.
NOISE_FLOOR = 4096

#: What is folded by default: Apple's frameworks and system libraries (by
#: library, or by symbol when the tool prints no library), the allocator,
#: thread entry points, ObjC/Swift runtime, and Python's standard library.
DEFAULT_SYSTEM: tuple[str, ...] = (
    # libraries as callTree prints them: "(in UIKitCore)", "(in libsystem_malloc.dylib)"
    "lib:lib*.dylib", "lib:dyld", "lib:UIKit*", "lib:AppKit", "lib:Foundation", "lib:CoreFoundation",
    "lib:QuartzCore", "lib:CoreGraphics", "lib:GraphicsServices", "lib:FrontBoardServices", "lib:ImageIO",
    "lib:WebKit", "lib:WebCore", "lib:JavaScriptCore", "lib:SwiftUI", "lib:CoreData", "lib:MapKit",
    "lib:CoreText", "lib:Metal*", "lib:IOKit", "lib:Security", "lib:CFNetwork", "lib:libswift*",
    # symbols, for tools that print no library (-allBySize, address history)
    "fn:thread_*", "fn:Thread_*", "fn:start", "fn:_start", "fn:start_wqthread", "fn:0x0",
    "fn:_*", "fn:malloc*", "fn:calloc", "fn:realloc", "fn:valloc", "fn:free", "fn:operator new*",
    "fn:-[NS*", "fn:+[NS*", "fn:-[UI*", "fn:+[UI*", "fn:-[CA*", "fn:+[CA*", "fn:-[_*", "fn:+[_*",
    "fn:CF*", "fn:CG*", "fn:CA*", "fn:UI*", "fn:NS*", "fn:GS*", "fn:dispatch_*", "fn:objc_*",
    "fn:class_*", "fn:swift_*", "fn:dyld::*", "fn:ImageLoader::*", "fn:std::*", "fn:ripl_*",
    "fn:ripc_*", "fn:bitmap_context_*", "fn:PurpleEventCallback", "fn:pthread_*",
    # Python: the standard library and frozen modules (the reference app's "UIKit")
    "file:*/lib/python3*/*", "file:<frozen *>", "file:<*>",
)


@dataclass(frozen=True)
class Frame:
    """One frame of an allocation stack; only ``function`` is always known."""

    function: str
    library: str = ""  # binary image, "UIKitCore", "libsystem_malloc.dylib" (callTree), "" when not printed
    file: str = ""  # source file when the recorder knows it (the reference app)
    line: int | None = None

    def location(self) -> str:
        """``model.py:87`` (file's last two parts), ``in UIKitCore``, or ''."""
        if self.file:
            short = "/".join(self.file.replace("\\", "/").split("/")[-2:])
            return f"{short}:{self.line}" if self.line is not None else short
        return f"in {self.library}" if self.library else ""

    def describe(self) -> str:
        where = self.location()
        return f"{self.function} ({where})" if where else self.function

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"function": self.function}
        if self.library:
            d["library"] = self.library
        if self.file:
            d["file"] = self.file
        if self.line is not None:
            d["line"] = self.line
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Frame":
        line = d.get("line")
        return cls(str(d.get("function") or "?"), str(d.get("library") or ""), str(d.get("file") or ""),
                   None if line is None else int(line))


@dataclass(frozen=True)
class StackStat:
    """Live blocks allocated by one stack (outermost frame first): how many, how many bytes."""

    frames: tuple[Frame, ...]
    count: int
    bytes: int


@dataclass(frozen=True)
class Generation:
    """Live allocations grouped by stack at one moment, and where they were read from."""

    stacks: tuple[StackStat, ...]
    source: str = ""  # "refapp tracemalloc", "malloc_history -allBySize", ...
    #: bytes the recorder itself holds (tracemalloc's own memory); None when unknown
    overhead: int | None = None
    notes: tuple[str, ...] = ()
    #: what the recorder says are the app's frames and its allocator's (StackRules patterns)
    app_patterns: tuple[str, ...] = ()
    allocator_patterns: tuple[str, ...] = ()

    def merged(self) -> dict[tuple[Frame, ...], tuple[int, int]]:
        """Count and bytes by stack (a stack listed twice is summed)."""
        out: dict[tuple[Frame, ...], tuple[int, int]] = {}
        for s in self.stacks:
            c, b = out.get(s.frames, (0, 0))
            out[s.frames] = (c + s.count, b + s.bytes)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "overhead": self.overhead,
            "notes": list(self.notes),
            "app_patterns": list(self.app_patterns),
            "allocator_patterns": list(self.allocator_patterns),
            "stacks": [{"count": s.count, "bytes": s.bytes, "frames": [f.to_dict() for f in s.frames]}
                       for s in self.stacks],
        }


def generation_from_dict(d: Any, what: str = "snapshot") -> Generation:
    """A :class:`Generation` from its JSON form (the refapp's endpoint, a saved snapshot).

    Raises ValueError naming ``what`` and the field when the shape is wrong.
    """
    if not isinstance(d, dict) or not isinstance(d.get("stacks"), list):
        raise ValueError(f"{what}: not an allocation-stack snapshot (no 'stacks' list)")
    stacks = []
    table = d.get("frame_table")  # stacks may name frames by index into a table
    try:
        known = None if table is None else [Frame.from_dict(f) for f in table]
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{what}: frame_table is malformed ({type(exc).__name__}: {exc})") from None
    for i, s in enumerate(d["stacks"]):
        try:
            frames = tuple(known[f] if known is not None else Frame.from_dict(f) for f in s["frames"])
            stacks.append(StackStat(frames, int(s["count"]), int(s["bytes"])))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ValueError(f"{what}: stacks[{i}] is malformed ({type(exc).__name__}: {exc})") from None
    overhead = d.get("overhead")
    return Generation(tuple(stacks), str(d.get("source") or ""), None if overhead is None else int(overhead),
                      tuple(str(n) for n in d.get("notes") or ()),
                      tuple(str(p) for p in d.get("app_patterns") or ()),
                      tuple(str(p) for p in d.get("allocator_patterns") or ()))


@dataclass(frozen=True)
class StackRules:
    """Which frames are the app's and which are folded as system.

    Patterns are fnmatch patterns prefixed with what they match:
    ``fn:`` the function, ``lib:`` the library, ``file:`` the source file.
    A pattern without a prefix matches any of the three.  Precedence:
    ``allocator`` (the app's own allocation wrappers, folded like
    ``malloc`` even though they are the app's code), then ``app``, then
    ``system``; a frame matching none is the app's.
    """

    system: tuple[str, ...] = DEFAULT_SYSTEM
    app: tuple[str, ...] = ()
    allocator: tuple[str, ...] = ()

    @staticmethod
    def _matches(frame: Frame, patterns: Iterable[str]) -> bool:
        for p in patterns:
            kind, sep, pat = p.partition(":")
            if not sep or kind not in ("fn", "lib", "file"):
                kind, pat = "any", p
            fields = {"fn": (frame.function,), "lib": (frame.library,), "file": (frame.file,),
                      "any": (frame.function, frame.library, frame.file)}[kind]
            if any(v and fnmatch.fnmatchcase(v, pat) for v in fields):
                return True
        return False

    def is_app(self, frame: Frame) -> bool:
        """The app's own frame: not its allocator, and an app pattern or no system pattern matches."""
        if self._matches(frame, self.allocator):
            return False
        return self._matches(frame, self.app) or not self._matches(frame, self.system)

    def with_patterns(self, system: Sequence[str] = (), app: Sequence[str] = (),
                      allocator: Sequence[str] = ()) -> "StackRules":
        return StackRules(self.system + tuple(system), self.app + tuple(app), self.allocator + tuple(allocator))

    def for_generation(self, generation: "Generation") -> "StackRules":
        """These rules plus what the recorder declared about its app (the reference app does)."""
        return self.with_patterns(app=generation.app_patterns, allocator=generation.allocator_patterns)


@dataclass(frozen=True)
class StackGrowth:
    """One stack whose live memory grew between two generations."""

    frames: tuple[Frame, ...]  # outermost first, as recorded
    count_before: int
    count_after: int
    bytes_before: int
    bytes_after: int
    count_per_iteration: float
    bytes_per_iteration: float
    #: the app's frames, innermost (the allocation site) first
    app_frames: tuple[Frame, ...] = ()
    system_frames: int = 0  # how many frames were folded

    @property
    def site(self) -> str:
        """The allocation site: the app's innermost frame, or the innermost frame when none is the app's."""
        if self.app_frames:
            return self.app_frames[0].describe()
        return self.frames[-1].describe() if self.frames else "(no stack)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "count_before": self.count_before,
            "count_after": self.count_after,
            "bytes_before": self.bytes_before,
            "bytes_after": self.bytes_after,
            "count_per_iteration": self.count_per_iteration,
            "bytes_per_iteration": self.bytes_per_iteration,
            "app_frames": [f.to_dict() for f in self.app_frames],
            "system_frames": self.system_frames,
            "frames": [f.to_dict() for f in self.frames],
        }


def grown_stacks(
    before: Generation,
    after: Generation,
    iterations: int,
    *,
    top: int = 10,
    floor: float = NOISE_FLOOR,
    rules: StackRules | None = None,
) -> list[StackGrowth]:
    """Stacks whose live bytes grew by at least ``floor`` per iteration, most bytes first, at most ``top``.

    ``iterations`` is how many scenario repetitions lie between the two
    generations.  A stack is its full list of frames, so one allocation
    site reached from two callers is two stacks (only the caller that
    grows is listed).  ``rules`` (default :class:`StackRules`) are
    extended by the patterns ``after`` declares.  Stacks that shrank, stayed, or appear only in
    ``before`` are not listed.  Ties: more blocks first, then by the
    frames' text, so the list is stable between runs.  A stack that grew
    in blocks but not in bytes is not listed: the gate is about bytes.
    """
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    rules = (rules or StackRules()).for_generation(after)
    old = before.merged()
    rows = []
    for frames, (count, size) in after.merged().items():
        c0, b0 = old.get(frames, (0, 0))
        per_iter = (size - b0) / iterations
        if size <= b0 or per_iter < floor:
            continue
        app = tuple(f for f in reversed(frames) if rules.is_app(f))
        rows.append(StackGrowth(frames, c0, count, b0, size, (count - c0) / iterations, per_iter, app,
                                len(frames) - len(app)))
    rows.sort(key=lambda r: (-r.bytes_per_iteration, -r.count_per_iteration,
                             tuple(f.describe() for f in r.frames)))
    return rows[:top]


def stack_lines(row: StackGrowth, frames: int = 4) -> list[str]:
    """The frames a person reads: the app's innermost first, system frames folded into a count.

    With no frame of the app, the innermost ``frames`` system frames are
    shown, said to be system: the stack still says which framework holds it.
    """
    if row.app_frames:
        shown = [f.describe() for f in row.app_frames[:frames]]
        more_app = len(row.app_frames) - len(shown)
        tail = []
        if more_app:
            tail.append(f"{more_app} more app frames")
        if row.system_frames:
            tail.append(f"{row.system_frames} system frames folded")
        return shown + ([f"[{', '.join(tail)}]"] if tail else [])
    inner = [f.describe() for f in reversed(row.frames[-frames:])]
    rest = len(row.frames) - len(inner)
    return ["(no frame of the app)"] + inner + ([f"[{rest} more system frames]"] if rest else [])


def format_grown_stacks(rows: Sequence[StackGrowth], stacks: int = 3, frames: int = 4, indent: str = "") -> str:
    """Compact text for failure messages and the CLI: ``stacks`` stacks, ``frames`` frames each."""
    out = []
    for r in rows[:stacks]:
        head = (f"{indent}{format_size(r.bytes_per_iteration, signed=True)}/iter, "
                f"{r.count_per_iteration:+.1f} blocks/iter ({r.count_before} -> {r.count_after} blocks)")
        lines = stack_lines(r, frames)
        if not r.app_frames:
            head += " " + lines.pop(0)  # "(no frame of the app)"
        out.append(head)
        out.append(f"{indent}  at {lines[0]}")
        out.extend(f"{indent}  <- {line}" if not line.startswith("[") else f"{indent}     {line}" for line in lines[1:])
    if len(rows) > stacks:
        out.append(f"{indent}({len(rows) - stacks} more grown stacks in the report)")
    return "\n".join(out)


_SPACES = re.compile(r"\s+")


def parse_rule_patterns(text: str) -> tuple[str, ...]:
    """``"fn:My*, lib:MyKit"`` or one per line -> patterns (empty entries dropped)."""
    return tuple(p for p in (_SPACES.sub(" ", x).strip() for x in re.split(r"[,\n]", text or "")) if p)


@dataclass
class CallerNode:
    """One frame of the caller tree of grown stacks: the allocation site at the root, its callers below."""

    label: str
    bytes_per_iteration: float = 0.0
    count_per_iteration: float = 0.0
    children: list["CallerNode"] = field(default_factory=list)
    folded: int = 0  # system frames folded under this node (leaf ends)


def caller_tree(rows: Sequence[dict[str, Any]], depth: int = 8) -> list[CallerNode]:
    """Grown stacks (JSON rows, as in the report) merged into a tree: sites first, then their callers.

    Two stacks with the same site share its node, so "allocated in
    loadImage, called from viewDidLoad (+400 KB) and cellForRow (+100 KB)"
    reads as one branch.  Rows with no app frame start at their site
    (their innermost frame).  ``depth`` app frames at most per branch.
    """
    roots: list[CallerNode] = []

    def child(nodes: list[CallerNode], label: str) -> CallerNode:
        for n in nodes:
            if n.label == label:
                return n
        n = CallerNode(label)
        nodes.append(n)
        return n

    for r in rows:
        app = [Frame.from_dict(f).describe() for f in r.get("app_frames") or []]
        labels = app[:depth] or [str(r.get("site") or "?")]
        nodes = roots
        node = None
        for label in labels:
            node = child(nodes, label)
            node.bytes_per_iteration += float(r.get("bytes_per_iteration") or 0)
            node.count_per_iteration += float(r.get("count_per_iteration") or 0)
            nodes = node.children
        if node is not None:
            node.folded += int(r.get("system_frames") or 0)

    def order(nodes: list[CallerNode]) -> None:
        nodes.sort(key=lambda n: (-n.bytes_per_iteration, n.label))
        for n in nodes:
            order(n.children)

    order(roots)
    return roots
