"""The reference app's allocation stacks: what ``malloc_history`` gives for an iOS app, from tracemalloc.

Off unless asked for: ``IOSMEM_ALLOCATION_STACKS=N`` in the environment (or
``--allocation-stacks N``) starts :mod:`tracemalloc` with ``N`` frames per
stack before the app makes anything, the way ``MallocStackLogging`` must be
set before an iOS app starts.

Two kinds of memory are recorded, both with the Python stack that made them:

- Python objects (tracemalloc's own domain 0): controllers, closures, dicts;
- the app's buffers (:class:`~.memory.Buffer`, private ``mmap`` pages, which
  is where its footprint really is): tracemalloc does not see ``mmap``, so
  each buffer is registered with ``PyTraceMalloc_Track`` (CPython's public
  C API for memory allocated outside its allocator, the way numpy does)
  in domain :data:`BUFFER_DOMAIN`, and unregistered when it is freed.
  This is the honest equivalent of ``malloc_logger`` seeing a ``vm_allocate``.

``GET /iosmem/stacks`` serves :func:`snapshot`: live blocks grouped by stack,
each frame with its function (found from the source with :mod:`ast`, since
tracemalloc keeps only file and line), file and line, plus what tracemalloc
itself holds (``overhead``) so the caller can tell the recorder's memory
from the app's.  The snapshot declares which frames are the app's and which
are its allocator (:mod:`.memory`, the app's "malloc"), so a reader folds
the rest.
"""

from __future__ import annotations

import os
import threading
from typing import Any

# ast, ctypes and tracemalloc (which imports pickle) are imported only when stacks are asked for:
# importing them costs the app about a megabyte, which an untraced run must not pay.

__all__ = ["ENV", "BUFFER_DOMAIN", "start", "start_from_env", "enabled", "track", "untrack", "snapshot"]

ENV = "IOSMEM_ALLOCATION_STACKS"
#: tracemalloc domain of the app's mmap buffers ("iosm")
BUFFER_DOMAIN = 0x696F736D
#: frames of the app's own code, and of its allocator (folded like malloc)
APP_PATTERNS = ("file:*/pytest_iosmem/refapp/*",)
ALLOCATOR_PATTERNS = ("file:*/pytest_iosmem/refapp/memory.py", "file:*/pytest_iosmem/refapp/allocations.py")
_APP_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

_enabled = False
_track: Any = None
_untrack: Any = None
_lock = threading.Lock()


def enabled() -> bool:
    return _enabled


def start(frames: int) -> None:
    """Start recording with ``frames`` frames per stack (1..1000)."""
    global _enabled, _track, _untrack
    import ctypes
    import tracemalloc

    frames = max(1, min(int(frames), 1000))
    track = ctypes.pythonapi.PyTraceMalloc_Track
    track.argtypes = [ctypes.c_uint, ctypes.c_size_t, ctypes.c_size_t]
    track.restype = ctypes.c_int
    untrack = ctypes.pythonapi.PyTraceMalloc_Untrack
    untrack.argtypes = [ctypes.c_uint, ctypes.c_size_t]
    untrack.restype = ctypes.c_int
    _track, _untrack = track, untrack
    # Function names of the app's own files, read now, untraced: read at the first snapshot they
    # would be a step in the footprint between the first and the second measured iteration.
    for name in sorted(os.listdir(_APP_DIR)):
        if name.endswith(".py"):
            _functions(_APP_DIR + name)
    tracemalloc.start(frames)
    _enabled = True


def start_from_env(value: str | None = None) -> int:
    """Start when ``IOSMEM_ALLOCATION_STACKS`` (or ``value``) is a positive number; return the frames (0: off)."""
    raw = os.environ.get(ENV, "") if value is None else value
    try:
        frames = int(raw or 0)
    except ValueError:
        raise ValueError(f"{ENV}={raw!r}: give the number of frames per stack, e.g. 32 (0 or empty: off)") from None
    if frames > 0:
        start(frames)
    return max(0, frames)


def track(obj: object, size: int) -> None:
    """Record ``size`` bytes the app mapped for ``obj`` at the current Python stack (no-op when off)."""
    if _enabled and size:
        _track(BUFFER_DOMAIN, id(obj), size)


def untrack(obj: object) -> None:
    if _enabled:
        _untrack(BUFFER_DOMAIN, id(obj))


class _Functions:
    """Function names by line of one source file (tracemalloc records only file and line)."""

    def __init__(self, path: str) -> None:
        import ast

        self.spans: list[tuple[int, int, str]] = []
        try:
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), path)
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            return
        self._walk(tree, "")

    def _walk(self, node: Any, prefix: str) -> None:
        import ast

        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    self.spans.append((child.lineno, child.end_lineno or child.lineno, name))
                self._walk(child, name + ("." if isinstance(child, ast.ClassDef) else ".<locals>."))
            else:
                self._walk(child, prefix)

    def at(self, line: int) -> str:
        best = "<module>"
        best_len = None
        for start_, end, name in self.spans:
            if start_ <= line <= end and (best_len is None or end - start_ < best_len):
                best, best_len = name, end - start_
        return best


_FUNCTIONS: dict[str, _Functions] = {}


def _functions(path: str) -> _Functions:
    if path not in _FUNCTIONS:
        _FUNCTIONS[path] = _Functions(path)
    return _FUNCTIONS[path]


def function_at(path: str, line: int) -> str:
    """The qualified name of the function around ``path:line`` (``<module>`` outside any)."""
    return _functions(path).at(line)


def _excluded(path: str, line: int, innermost: bool) -> bool:
    """A frame of the recorder itself; the one innermost frame of :func:`track` is the buffer's, and stays."""
    import tracemalloc

    if path == tracemalloc.__file__:
        return True
    if path == __file__:
        return not (innermost and function_at(path, line) == "track")
    return False


def _name(path: str, line: int) -> str:
    """Function names of the app's own files; "?" elsewhere (parsing the standard library under
    tracemalloc took seconds per snapshot, and those frames are folded anyway)."""
    return function_at(path, line) if path.startswith(_APP_DIR) else "?"


def snapshot() -> dict[str, Any]:
    """Live traced blocks grouped by stack (outermost frame first), JSON-ready."""
    if not _enabled:
        raise RuntimeError(f"allocation stacks are off: start the app with {ENV}=FRAMES (e.g. 32)")
    import tracemalloc

    with _lock:
        snap = tracemalloc.take_snapshot()
        overhead = tracemalloc.get_tracemalloc_memory()
    table: dict[tuple[str, int], int] = {}
    frames_out: list[dict[str, Any]] = []
    stacks = []
    for stat in snap.statistics("traceback"):
        tb = stat.traceback
        if any(_excluded(fr.filename, fr.lineno, i == len(tb) - 1) for i, fr in enumerate(tb)):
            continue  # what recording and serving the stacks allocates (tracemalloc, this module's caches)
        ids = []
        for fr in tb:  # oldest (outermost) first
            key = (fr.filename, fr.lineno)
            if key not in table:
                table[key] = len(frames_out)
                frames_out.append({"function": _name(fr.filename, fr.lineno), "file": fr.filename, "line": fr.lineno})
            ids.append(table[key])
        stacks.append({"count": stat.count, "bytes": stat.size, "frames": ids})
    return {
        "source": "refapp tracemalloc",
        "overhead": overhead,
        "frames_per_stack": tracemalloc.get_traceback_limit(),
        "app_patterns": list(APP_PATTERNS),
        "allocator_patterns": list(ALLOCATOR_PATTERNS),
        "notes": [],
        "frame_table": frames_out,  # stacks name frames by index into this table (a third of the size)
        "stacks": stacks,
    }
