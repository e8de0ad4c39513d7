"""Is the app's process stopped or a zombie? A frozen app answers no WebDriverAgent call.

An app stopped by SIGSTOP, a debugger or a hung ``xcodebuild`` job control
(state ``T``) or dead and not yet reaped (``Z``) makes every UI call time out;
the failure must name that state, not only "timed out".  Only where the app's
pid is a process of this host: the local target, and the simulator (the app
runs as a host process).  psutil reads ``/proc/PID/stat`` on Linux and
``proc_pidinfo`` on macOS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import App, Target

__all__ = ["process_state", "app_state", "HOST_PID_KINDS"]

#: target kinds whose app pid is a process on this host
HOST_PID_KINDS = frozenset({"local", "simulator"})


def process_state(pid: int) -> str | None:
    """"stopped (state T)" or "a zombie (state Z)"; None for a running, sleeping or vanished process."""
    import psutil

    try:
        status = psutil.Process(pid).status()
    except (psutil.Error, OSError):
        return None
    if status in (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP):
        return "stopped (state T: SIGSTOP, a debugger or job control)"
    if status == psutil.STATUS_ZOMBIE:
        return "a zombie (state Z: it exited and was not reaped)"
    return None


def app_state(target: "Target", app: "App | None") -> str | None:
    """:func:`process_state` of the app, where its pid is a host process; else None."""
    if app is None or not app.pid or getattr(target, "kind", None) not in HOST_PID_KINDS:
        return None
    return process_state(app.pid)
