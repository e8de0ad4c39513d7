"""The device target's seam, as types: what a connected device must offer.

:mod:`.device` (the logic, tested with a session that replays recordings)
and :mod:`.device_adapter` (the only module importing pymobiledevice3) both
import these names from here, so neither imports the other at module level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, Sequence

__all__ = ["DeviceSession", "MemoryGraph", "SampleCallback", "ErrorCallback"]

SampleCallback = Callable[[Sequence[str], Any], None]  # (procAttrs, one sysmontap message)
ErrorCallback = Callable[[str], None]


@dataclass(frozen=True)
class MemoryGraph:
    """What the Leaks channel returns: the ``.memgraph`` bytes (None when nothing leaked
    in a leaked-only graph) and the number of leaked allocations."""

    data: bytes | None
    leaked_count: int


class DeviceSession(Protocol):
    """The seam: everything the device target needs from a connected device.

    Implemented on pymobiledevice3 by ``device_adapter.PymobiledeviceSession``;
    replaced in tests by a session replaying recordings.  Callbacks are called
    from the adapter's own thread and must not block.
    """

    def info(self) -> dict[str, str]:
        """Lockdown values: ProductType, ProductVersion, DeviceName, UniqueDeviceID, DeviceClass."""
        ...

    def launch(self, bundle_id: str, args: Sequence[str], env: Mapping[str, str]) -> int:
        """Launch (killing a running instance) and return the pid."""
        ...

    def kill(self, pid: int) -> None: ...

    def pid_for_bundle(self, bundle_id: str) -> int:
        """The pid of the running app, 0 when it does not run."""
        ...

    def start_sysmon(self, interval_ms: int, on_sample: SampleCallback, on_error: ErrorCallback) -> None:
        """Stream sysmontap messages until close(); on_error once if the stream dies."""
        ...

    def start_notifications(self, on_event: Callable[[Any], None], on_error: ErrorCallback) -> None:
        """Stream the mobilenotifications channel (app state and memory level) until close()."""
        ...

    def memory_graph(self, pid: int) -> MemoryGraph: ...

    def send_memory_warning(self, pid: int) -> None:
        """EXPERIMENTAL: process control's ``sendProcessControlEvent:toPid:`` MemoryEvent."""
        ...

    def close(self) -> None:
        """Stop the streams and disconnect, bounded in time."""
        ...
