"""macOS footprint of a process through libproc's ``proc_pid_rusage`` (ctypes, no compiler).

``ri_phys_footprint`` is the number jetsam uses; ``ri_lifetime_max_phys_footprint``
(rusage_info_v4 and later) is the OS's own peak, so a spike between two
samples is not missed.  The structure mirrors ``struct rusage_info_v4`` of
<sys/resource.h>; a test checks the field offsets on every OS, and the real
call runs only on macOS.  An iOS Simulator app is a host process, so the
simulator target reads it the same way.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys

from ..errors import ReadFailed, TargetUnavailable
from .base import Reading

__all__ = ["RusageInfoV4", "RUSAGE_INFO_V4", "read_footprint"]

RUSAGE_INFO_V4 = 4

_U64 = ctypes.c_uint64


class RusageInfoV4(ctypes.Structure):
    """``struct rusage_info_v4`` of <sys/resource.h> (xnu bsd/sys/resource.h), 296 bytes."""

    _fields_ = [
        ("ri_uuid", ctypes.c_uint8 * 16),
        ("ri_user_time", _U64),
        ("ri_system_time", _U64),
        ("ri_pkg_idle_wkups", _U64),
        ("ri_interrupt_wkups", _U64),
        ("ri_pageins", _U64),
        ("ri_wired_size", _U64),
        ("ri_resident_size", _U64),
        ("ri_phys_footprint", _U64),
        ("ri_proc_start_abstime", _U64),
        ("ri_proc_exit_abstime", _U64),
        ("ri_child_user_time", _U64),
        ("ri_child_system_time", _U64),
        ("ri_child_pkg_idle_wkups", _U64),
        ("ri_child_interrupt_wkups", _U64),
        ("ri_child_pageins", _U64),
        ("ri_child_elapsed_abstime", _U64),
        ("ri_diskio_bytesread", _U64),
        ("ri_diskio_byteswritten", _U64),
        ("ri_cpu_time_qos_default", _U64),
        ("ri_cpu_time_qos_maintenance", _U64),
        ("ri_cpu_time_qos_background", _U64),
        ("ri_cpu_time_qos_utility", _U64),
        ("ri_cpu_time_qos_legacy", _U64),
        ("ri_cpu_time_qos_user_initiated", _U64),
        ("ri_cpu_time_qos_user_interactive", _U64),
        ("ri_billed_system_time", _U64),
        ("ri_serviced_system_time", _U64),
        ("ri_logical_writes", _U64),
        ("ri_lifetime_max_phys_footprint", _U64),
        ("ri_instructions", _U64),
        ("ri_cycles", _U64),
        ("ri_billed_energy", _U64),
        ("ri_serviced_energy", _U64),
        ("ri_interval_max_phys_footprint", _U64),
        ("ri_runnable_time", _U64),
    ]


# proc_pid_rusage lives in libsystem_kernel and is re-exported by libSystem, which every
# macOS process has loaded; the full path works with the dyld shared cache (no file on disk needed).
_LIBRARIES = ("/usr/lib/libSystem.B.dylib", "/usr/lib/libproc.dylib")
_lib: ctypes.CDLL | None = None


def _libproc() -> ctypes.CDLL:
    """libSystem with ``proc_pid_rusage`` typed; loaded on first use, so importing is safe anywhere."""
    global _lib
    if sys.platform != "darwin":
        raise TargetUnavailable(f"proc_pid_rusage is macOS only (this host is {sys.platform})")
    if _lib is None:
        errors = []
        for path in _LIBRARIES:
            try:
                lib = ctypes.CDLL(path, use_errno=True)
                fn = lib.proc_pid_rusage
            except (OSError, AttributeError) as exc:
                errors.append(f"{path}: {exc}")
                continue
            fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(RusageInfoV4)]
            fn.restype = ctypes.c_int
            _lib = lib
            break
        else:
            raise TargetUnavailable("cannot load proc_pid_rusage: " + "; ".join(errors))
    return _lib


def read_footprint(pid: int) -> Reading:
    """phys_footprint and the lifetime peak of ``pid`` (bytes).

    Raises :class:`ReadFailed` with the errno text when the kernel refuses
    (``ESRCH``: the process is gone; ``EPERM``: another user's process).
    """
    info = RusageInfoV4()
    if _libproc().proc_pid_rusage(int(pid), RUSAGE_INFO_V4, ctypes.byref(info)) != 0:
        err = ctypes.get_errno()
        hint = " (the process is gone)" if err == errno.ESRCH else ""
        if err == errno.EPERM:
            hint = " (it belongs to another user: run the tests as the user who launched the app)"
        raise ReadFailed(f"proc_pid_rusage({pid}) failed: {os.strerror(err)}{hint}")
    return Reading(int(info.ri_phys_footprint), int(info.ri_lifetime_max_phys_footprint) or None)
