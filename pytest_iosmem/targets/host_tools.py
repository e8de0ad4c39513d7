"""Running one of Apple's host tools (``heap``, ``leaks``, ``malloc_history``) for a target.

One place for what every such call needs: a bound on its time, "not on this
host" as NotSupported (the tools ship with macOS only), and the last words a
failing tool said, for the error message.
"""

from __future__ import annotations

import shutil
import subprocess

from ..errors import NotSupported, TargetError

__all__ = ["run_tool", "last_words"]


def run_tool(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` with a timeout; no such tool, or one that cannot start, is NotSupported."""
    if shutil.which(argv[0]) is None:
        raise NotSupported(f"no '{argv[0]}' on PATH (it ships with macOS and Xcode's command line tools)")
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TargetError(f"'{' '.join(argv)}' did not finish within {timeout:g}s") from None
    except OSError as exc:
        raise NotSupported(f"cannot run {argv[0]}: {exc.strerror or exc}") from None


def last_words(proc: subprocess.CompletedProcess[str]) -> str:
    """The last three lines a tool printed (stderr first), for an error message."""
    said = (proc.stderr or proc.stdout or "").strip().splitlines()
    return " | ".join(said[-3:]) or "no output"
