"""The options of every target, as data.

The plugin registers all of them in every pytest run (``--help`` shows them
and ini files may set them), so they live here, where reading them imports
nothing but :class:`TargetOption`.  Each target module re-exports its own
tuple as ``OPTIONS``; a test checks the two agree.
"""

from __future__ import annotations

from . import TargetOption

__all__ = ["LOCAL_OPTIONS", "OPTIONS_BY_TARGET"]

LOCAL_OPTIONS = (
    TargetOption(
        "local_warning_signal",
        "signal the local target sends as a memory warning (name or number; default SIGUSR1)",
        "SIGUSR1",
    ),
    TargetOption(
        "local_stop_timeout",
        "seconds to wait after SIGTERM before SIGKILL when stopping the local app (default 3)",
        "3",
    ),
)

OPTIONS_BY_TARGET: dict[str, tuple[TargetOption, ...]] = {
    "local": LOCAL_OPTIONS,
}
