"""Helpers shared by the tests (plain functions, imported by test modules)."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

MEMAPP = Path(__file__).parent / "apps" / "memapp.py"
FAKES = Path(__file__).parent / "fakes"

#: Inner runs whose test is not about settling: three agreeing reads 10 ms apart. The defaults (five
#: reads 40 ms apart) wait at least 0.16 s per settle, and a gated test settles about ten times.
FAST_SETTLE = ("--iosmem-settle-interval=0.01", "--iosmem-settle-window=3")
#: No inner run uses hypothesis; its pytest plugin imports it, ~0.7 s per subprocess run (and per
#: in-process run when the outer run has not imported it).
NO_HYPOTHESIS = ("-p", "no:hypothesispytest")
#: The usual start of an inner run's arguments: no cache, no hypothesis, fast settles.
INNER = ("-p", "no:cacheprovider", *NO_HYPOTHESIS, *FAST_SETTLE)
#: The xdist group of the tests that start pytest-xdist workers or an sshd of their own: under the
#: README's ``--dist loadgroup`` they run one after another on one worker, never several at once.
OWN_WORKERS = "own-workers"


_python3_dir: list[str] = []


def fakes_path() -> str:
    """PATH with the stand-in host tools (tests/fakes) first, then a directory whose ``python3`` is this
    interpreter: the stand-ins start with ``#!/usr/bin/env python3``, and the python3 further on PATH may
    be a version manager's shim (pyenv's: ~0.3 s a call; the simulator tests make hundreds of calls)."""
    if not _python3_dir:
        directory = tempfile.mkdtemp(prefix="iosmem-tests-python3-")
        os.symlink(sys.executable, os.path.join(directory, "python3"))
        atexit.register(shutil.rmtree, directory, True)
        _python3_dir.append(directory)
    return os.pathsep.join([str(FAKES), _python3_dir[0], os.environ["PATH"]])


def inner_conftest() -> str:
    """conftest.py text for inner pytest runs: these helpers plus a ``visit`` fixture
    that performs one "visit" of tests/apps/memapp.py (SIGUSR2)."""
    return (
        Path(__file__).read_text()
        + """

import os, pytest

@pytest.fixture
def visit(iosmem):
    wait_for_handler(iosmem.app.pid, signal.SIGUSR2)
    wait_for_handler(iosmem.app.pid, signal.SIGUSR1)
    return lambda: os.kill(iosmem.app.pid, signal.SIGUSR2)
"""
    )


def memapp_command(*args: str) -> str:
    """``--iosmem-app`` value that runs tests/apps/memapp.py with this interpreter."""
    return " ".join([sys.executable, str(MEMAPP), *args])


def wait_for_handler(pid: int, sig: int = signal.SIGUSR2, timeout: float = 10.0) -> None:
    """Wait until ``pid`` has installed a handler for ``sig`` (Linux: SigCgt in /proc/PID/status).

    Sending the signal earlier would kill the process with the default action.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("SigCgt:") and int(line.split()[1], 16) & (1 << (sig - 1)):
                        return
        except FileNotFoundError:
            raise RuntimeError(f"process {pid} exited before installing its handler") from None
        time.sleep(0.01)
    raise RuntimeError(f"process {pid} installed no handler for signal {sig} within {timeout}s")


def signal_and_wait(pid: int, sig: int, read, grows_by: int = 1, timeout: float = 5.0) -> None:
    """Send ``sig`` and wait until ``read()`` has grown by ``grows_by`` bytes.

    POSIX signals do not queue: one sent while the app still handles the
    previous one can merge with it, so each visit waits for its effect.
    """
    import os

    target = read() + grows_by
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while read() < target and time.monotonic() < deadline:
        time.sleep(0.005)
