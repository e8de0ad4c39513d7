"""A cancelled run cleans up: SIGTERM is Ctrl-C, and launched apps die with their runner.

Why
---
A CI timeout or a "cancel" button sends SIGTERM to pytest.  Python's default
for SIGTERM is to die on the spot: no fixture teardown, so the app under test,
WebDriverAgent's ``xcodebuild`` and simulator clones outlive the job, and the
reports are never written.  Ctrl-C (SIGINT) already does the right thing in
pytest: ``KeyboardInterrupt`` unwinds the test, the session finishes with
exit status 2 (INTERRUPTED), every fixture is torn down (the app stopped,
clones deleted, WDA stopped) and the reports are written, marked interrupted.
:func:`install` makes SIGTERM take the same path, like ``iosmem sample`` does.

SIGKILL cannot be caught.  For that case (and for a runner that crashes) a
process launched by the local target asks the kernel to kill it when its
parent goes away: :func:`die_with_parent` (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any, Callable

__all__ = ["install", "uninstall", "die_with_parent", "PDEATHSIG_SUPPORTED"]

_previous: Any = None
_installed = False


def _raise_interrupt(signum: int, frame: object) -> None:
    # Restore the default first: a second SIGTERM (an impatient CI runner) during
    # the clean-up then kills the process instead of interrupting the clean-up forever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise KeyboardInterrupt(f"interrupted by signal {signal.Signals(signum).name}")


def install() -> bool:
    """Treat SIGTERM like Ctrl-C from now on. Returns False when it cannot (not the main thread).

    A handler someone else installed (not the default) is left alone: they chose it.
    """
    global _previous, _installed
    if _installed:
        return True
    if threading.current_thread() is not threading.main_thread():
        return False  # signal.signal() only works in the main thread
    current = signal.getsignal(signal.SIGTERM)
    if current not in (signal.SIG_DFL, None):
        return False
    _previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    _installed = True
    return True


def uninstall() -> None:
    """Put back what was there before :func:`install` (end of the pytest run)."""
    global _previous, _installed
    if not _installed or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is _raise_interrupt:
        signal.signal(signal.SIGTERM, _previous if _previous is not None else signal.SIG_DFL)
    _installed = False
    _previous = None


# -- dying with the runner ----------------------------------------------------------------------
_PR_SET_PDEATHSIG = 1
PDEATHSIG_SUPPORTED = sys.platform.startswith("linux")
_prctl: Callable[..., int] | None = None


def _load_prctl() -> Callable[..., int] | None:
    """libc's prctl, resolved once in the parent (the child must not import or load anything)."""
    global _prctl
    if _prctl is None and PDEATHSIG_SUPPORTED:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            fn = libc.prctl
            fn.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
            fn.restype = ctypes.c_int
            _prctl = fn
        except (OSError, AttributeError):
            _prctl = None
    return _prctl


def die_with_parent(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive ``sig`` when its parent dies, or None.

    None (nothing to do) off Linux, and when called from a thread other than
    the main thread: the kernel sends the death signal when the *thread* that
    forked the child ends, not the process, so a child forked from a
    short-lived helper thread would be killed as soon as that thread returns.
    The plugin's fixtures run in pytest's main thread, which lives as long as
    the run.

    Why the ``preexec_fn`` is safe although the sampler and output threads
    run: the danger of ``preexec_fn`` with threads is that the forked child
    holds a copy of a lock another thread had taken (the import lock, a
    logging lock) and deadlocks waiting for it.  This function takes no lock:
    the ctypes function is resolved here, in the parent, before the fork; the
    child only calls prctl(2) and getppid(2) (async-signal-safe system calls)
    under the GIL it already holds, imports nothing and allocates only small
    ints.  If the parent died between fork and prctl, the death signal would
    never come, so the child checks its parent and exits itself.
    """
    if not PDEATHSIG_SUPPORTED or threading.current_thread() is not threading.main_thread():
        return None
    prctl = _load_prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:  # the parent is already gone
            os._exit(1)

    return preexec
