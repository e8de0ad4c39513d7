"""Running ``malloc_history`` for a generation: on a simulator app's host pid, or on a saved memgraph.

``malloc_history process -allBySize`` (man page: *process is a pid,
executable-name, or memory-graph-file*) lists the live allocations grouped
by stack when the process ran with ``MallocStackLogging``; it is the
generation :mod:`pytest_iosmem.stacks` diffs.  ``-callTree`` gives the same
as a tree with rounded sizes, so ``-allBySize`` is what the targets run.

``MallocStackLogging=1`` (full) records every allocation and free;
``MallocStackLogging=lite`` records the stacks of live allocations only
and discards those of freed blocks, so it costs less memory.  A generation
needs only live allocations, so ``lite`` is enough for it; an address's
ALLOC/FREE history (``malloc_history PID ADDRESS``) and ``-highWaterMark``
need full mode (the man page: *-highWaterMark requires full mode of
MallocStackLogging, in either a live process or a memory graph file
recorded with -fullStackHistory*).  The simulator target launches with
``1`` unless ``--iosmem-app-env MallocStackLogging=lite`` says otherwise.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotSupported, ParseError
from .host_tools import last_words, run_tool

if TYPE_CHECKING:
    from ..attribution.stacks import Generation

__all__ = ["argv", "read_generation", "available", "Deferred"]

TOOL = "malloc_history"
#: malloc_history on a big app or memgraph takes a while; a hung tool must not hang the run
TIMEOUT = 180.0


class Deferred(NotSupported):
    """The generation was saved (a memgraph) but cannot be read on this host; ``path`` says where it is."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def argv(source: int | str, mode: str = "-allBySize") -> list[str]:
    """The exact command line (asserted by tests against the man page's synopsis)."""
    if mode not in ("-allBySize", "-callTree"):
        raise ValueError(mode)
    return [TOOL, str(source), mode]


def available() -> bool:
    """``malloc_history`` can run here: a Mac with the tool on PATH (it ships with macOS only)."""
    return sys.platform == "darwin" and shutil.which(TOOL) is not None


def read_generation(source: int | str, raw: Path, timeout: float | None = None) -> "Generation":
    """Run ``malloc_history SOURCE -allBySize``, keep its output at ``raw``, return the generation.

    The tool's own failure (no stack logging, a process it cannot inspect)
    and output it cannot parse are NotSupported naming the reason and the
    saved output; never an empty generation.
    """
    proc = run_tool(argv(source), TIMEOUT if timeout is None else timeout)
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(proc.stdout + ("\n--- stderr ---\n" + proc.stderr if proc.stderr else ""))
    if proc.returncode != 0:
        raise NotSupported(f"malloc_history cannot read stacks of {source} (exit {proc.returncode}): "
                           f"{last_words(proc)}; was the app launched with MallocStackLogging? output in {raw}")
    from ..parsers.malloc_history import parse_malloc_history

    try:
        gen = parse_malloc_history(proc.stdout).generation()
    except ParseError as exc:
        raise NotSupported(f"{exc}; output in {raw}") from None
    if not gen.stacks:
        raise NotSupported(f"malloc_history listed no stack for {source}; output in {raw}")
    return gen
