"""A cancelled run cleans up: SIGINT, SIGTERM and SIGHUP stop it the same way, and always.

Why
---
A CI timeout or a "cancel" button sends SIGTERM to pytest, a closed terminal
SIGHUP, a person Ctrl-C (SIGINT).  Each must end the run the way Ctrl-C does
in pytest: the test unwinds, every fixture is torn down (the app stopped,
clones deleted, WebDriverAgent stopped), the session finishes with exit status
2 (INTERRUPTED) and the reports are written, marked interrupted.

Raising ``KeyboardInterrupt`` from the handler is not enough on its own:
third-party code swallows it (facebook-wda's ``Session.tap`` has a bare
``except:`` that retries the tap, and the test carries on).  So the handler
also *records* the signal, and the plugin raises again at its own
checkpoints (:func:`checkpoint`: before and after every facebook-wda HTTP
request, in the iteration loop and the settle wait, after the test body, and
``session.shouldstop`` after each test): once asked, the run stops at the
next one whatever swallowed the first exception.

While the session's end-of-run files (baselines, reports) are written
(:func:`finishing`), a first signal only waits: interrupting a write would
lose both the data and the report.  A second signal at any time ends the
process at once, saying on stderr what was not written.

SIGKILL cannot be caught.  For that case (and for a runner that crashes) a
process launched by the local target asks the kernel to kill it when its
parent goes away: :func:`die_with_parent` (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from typing import Any, Callable, Iterator

__all__ = [
    "install", "uninstall", "requested", "checkpoint", "finishing", "written", "deferred", "exit_status_set", "hold", "begin",
    "die_with_parent", "PDEATHSIG_SUPPORTED", "SIGNALS",
]

#: the signals that cancel a run, handled alike
SIGNALS: tuple[signal.Signals, ...] = tuple(
    s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None
)


class _State:
    """What the handler saw; module-level because a signal handler has no other context."""

    def __init__(self) -> None:
        self.previous: dict[int, Any] = {}
        self.installed = 0  # how many pytest runs in this process installed (pytester nests them)
        self.signum: int | None = None  # the first signal received
        self.count = 0
        self.starting = False  # pytest_configure .. collection: a first signal waits (see hold)
        self.finishing = False  # end-of-run writes: a first signal waits
        self.pending: list[str] = []  # what is still to be written (named by a second signal)
        self.deferred = False  # a signal arrived while finishing
        self.exit_status_set = False  # the session's exit status already says interrupted


_state = _State()


def _name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _handle(signum: int, frame: object) -> None:
    st = _state
    st.count += 1
    if st.signum is None:
        st.signum = signum
    if st.count >= 2:
        _end_now(signum)
    if st.finishing or st.starting:
        st.deferred = True  # baselines and reports are being written (or pytest is starting): wait
        return
    raise KeyboardInterrupt(f"interrupted by {_name(signum)}")


def _end_now(signum: int) -> None:
    """A second signal: the person or runner insists. Say what is lost, and go."""
    lost = ", ".join(_state.pending) if _state.pending else "the baselines and reports of this run"
    if _state.starting:
        lost = "nothing yet (the run had not started)"
    if _state.finishing and not _state.pending:
        lost = "nothing (every file was written)"
    try:
        os.write(2, f"\niosmem: second {_name(signum)}: stopping at once; not written: {lost}\n".encode())
    except OSError:
        pass
    os._exit(128 + signum)


def requested() -> str | None:
    """The name of the signal that asked the run to stop, or None."""
    return None if _state.signum is None else _name(_state.signum)


def checkpoint() -> None:
    """Raise ``KeyboardInterrupt`` if a signal asked the run to stop (and the run is not finishing).

    Called from the plugin's own code, so a first ``KeyboardInterrupt`` that
    someone else's ``except:`` swallowed is raised again here.
    """
    if _state.signum is not None and not _state.finishing:
        raise KeyboardInterrupt(f"interrupted by {_name(_state.signum)}")


def hold() -> None:
    """From ``pytest_configure`` until collection starts, a first signal waits.

    pytest calls ``pytest_sessionfinish`` (where the reports are written) only
    once ``pytest_sessionstart`` has returned: interrupted before that, a run
    would end with no report at all.  :func:`begin` raises the waiting signal
    at a moment pytest finishes the session from.
    """
    _state.starting = True


def begin() -> None:
    """Collection starts: signals interrupt again, and one that waited is raised now."""
    _state.starting = False
    if _state.deferred and not _state.finishing:
        _state.deferred = False
        checkpoint()


def deferred() -> bool:
    """True when a signal arrived during :func:`finishing` (the run must still end non-zero)."""
    return _state.deferred


@contextlib.contextmanager
def finishing(what: list[str]) -> Iterator[None]:
    """The end-of-run writes: a first signal waits until they are done (see the module doc).

    ``what`` names the files still to write; :func:`writing` ticks them off.
    The state stays "finishing" after the block: a signal during the rest of
    pytest's own end (the terminal summary) only records itself, and
    :func:`uninstall` ends the process by that signal then.
    """
    _state.finishing = True
    _state.pending = list(what)
    yield


def written(name: str) -> None:
    """``name`` (one of :func:`finishing`'s) is written: a second signal need not name it."""
    with contextlib.suppress(ValueError):
        _state.pending.remove(name)


def install() -> bool:
    """Handle SIGINT, SIGTERM and SIGHUP from now on. False when it cannot (not the main thread).

    A handler someone else installed (not Python's default) is left alone: they chose it.
    """
    st = _state
    if st.installed:
        st.installed += 1  # a run inside a run (pytester): the outer one keeps the handlers
        return True
    if threading.current_thread() is not threading.main_thread():
        return False  # signal.signal() only works in the main thread
    for sig in SIGNALS:
        current = signal.getsignal(sig)
        if current in (signal.SIG_DFL, signal.default_int_handler, None):
            st.previous[sig] = signal.signal(sig, _handle)
    st.installed = 1
    return True


def uninstall() -> None:
    """Put back what was there before :func:`install` (end of the pytest run).

    A signal whose run did not get "interrupted" as its exit status (it came
    after the session's writes, or before the session started) ends the
    process by that signal: the conventional way to tell the parent it was cancelled.
    """
    st = _state
    if not st.installed or threading.current_thread() is not threading.main_thread():
        return
    st.installed -= 1
    if st.installed:
        st.finishing, st.starting, st.pending = False, False, []  # the inner run ended; the outer one goes on
        return
    for sig, previous in st.previous.items():
        if signal.getsignal(sig) is _handle:
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
    late = st.signum is not None and not st.exit_status_set
    signum = st.signum
    _reset()
    if late and signum is not None:
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)


def exit_status_set() -> None:
    """The session's exit status now says "interrupted": no need to end by the signal at unconfigure."""
    _state.exit_status_set = True


def _reset() -> None:
    global _state
    _state = _State()


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
