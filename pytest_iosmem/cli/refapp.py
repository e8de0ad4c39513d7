"""``iosmem refapp [ARGS...]``: run the bundled reference app (``python -m pytest_iosmem.refapp ARGS``).

Every argument after ``refapp`` goes to the app unchanged, ``--help`` included.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Sequence

from .common import add_parser

COMMAND = [sys.executable, "-m", "pytest_iosmem.refapp"]


def register(sub: Any) -> None:
    # Listed in ``iosmem --help``; main() hands ``refapp ...`` over before argparse sees it.
    add_parser(
        sub, "refapp", "run the bundled reference app (WebDriverAgent protocol, deliberate leaks)", __doc__,
        "example: iosmem refapp --port 8100 --leak-size 1MB\n(see iosmem refapp --help for the app's own options)",
        add_help=False,
    )


def run_refapp(args: Sequence[str], replace_process: bool) -> int:
    """Run the app with ``args``.

    From the console script the app replaces this process (``os.execv``): its
    pid is the one you see, so ``kill``/``iosmem sample --pid`` and the
    memory-warning signal (SIGUSR1) reach the app itself, not a wrapper.
    Called in-process (``main([...])``), it runs as a child and returns its
    exit code instead of ending the caller.
    """
    command = [*COMMAND, *args]
    if replace_process:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(command[0], command)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:  # the app got the same Ctrl-C and stops on it
        return 130
