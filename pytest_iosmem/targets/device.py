"""The device target: an app on a connected iPhone or iPad, through pymobiledevice3.

All pymobiledevice3 calls live in :mod:`.device_adapter`; this module is the
logic above that seam, tested with recorded sysmontap rows:

- the footprint is sysmontap's ``physFootprint`` (bytes) of our pid, from a
  stream the adapter pushes on its own asyncio thread; ``read()`` returns the
  latest value and never blocks on the device;
- our pid missing from several consecutive samples, or a jetsam kill in the
  memory notifications, ends the app (``terminated (jetsam)`` with the last
  footprint);
- no public tool sends a memory warning to a device app: by default
  ``memory_warning()`` says so (the reclaim check is reported as not run);
  ``--iosmem-device-memory-warning experimental`` tries Instruments'
  process-control event instead, and is marked experimental until shown on a device.

The seam, :class:`DeviceSession`, is what a test replaces with recorded rows.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence

from .. import jetsam_limits
from ..errors import NotSupported, ReadFailed, TargetError, UsageError
from ..units import parse_size
from . import TargetContext
from .base import App, AppSpec, Capability, ClassStat, JetsamLimit, Profile, Reading, TargetEvent, Termination
from .catalog import DEVICE_OPTIONS

__all__ = ["DeviceSession", "SysmonTracker", "DeviceTarget", "footprint_of", "map_notification", "OPTIONS", "create",
           "device_rows"]

OPTIONS = DEVICE_OPTIONS

RowsCallback = Callable[[Sequence[str], Mapping[str, Any]], None]


class DeviceSession(Protocol):
    """The seam: what the device target needs from a connected device (see device_adapter)."""

    def info(self) -> dict[str, str]: ...  # ProductType, ProductVersion, DeviceName, UniqueDeviceID, DeviceClass

    def launch(self, bundle_id: str, args: Sequence[str], env: Mapping[str, str]) -> int: ...

    def kill(self, pid: int) -> None: ...

    def pid_for_bundle(self, bundle_id: str) -> int: ...  # 0 when not running

    def start_sysmon(self, interval_ms: int, on_sample: RowsCallback) -> None: ...

    def start_notifications(self, on_event: Callable[[Any], None]) -> None: ...

    def send_memory_warning(self, pid: int) -> None: ...

    def close(self) -> None: ...


def footprint_of(pid: int, attributes: Sequence[str], processes: Mapping[str, Any]) -> int | None:
    """``physFootprint`` of ``pid`` in one sysmontap sample, or None if the pid is not in it.

    ``processes`` is either sysmontap's raw ``{"<pid>": [values in attribute order]}``
    or already-decoded ``{"<pid>": {"physFootprint": ...}}`` rows.
    """
    row = processes.get(str(pid))
    if row is None:
        row = processes.get(pid)  # type: ignore[call-overload]
    if row is None:
        return None
    if isinstance(row, Mapping):
        value = row.get("physFootprint")
    else:
        try:
            value = row[list(attributes).index("physFootprint")]
        except (ValueError, IndexError):
            raise ReadFailed("sysmontap rows carry no physFootprint attribute") from None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        return None
    return int(value)  # sysmontap reports bytes (pymobiledevice3 lists physFootprint among its byte fields)


@dataclass
class SysmonTracker:
    """Keeps the latest footprint of one pid from the stream, and notices when it disappears."""

    pid: int
    missing_limit: int = 3  # consecutive samples without our pid before we call it gone
    latest: int | None = None
    peak: int | None = None
    samples: int = 0
    missing: int = 0
    updated_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def feed(self, attributes: Sequence[str], processes: Mapping[str, Any]) -> None:
        value = footprint_of(self.pid, attributes, processes)
        with self.lock:
            if value is None:
                self.missing += 1
                return
            self.missing = 0
            self.samples += 1
            self.latest = value
            self.peak = value if self.peak is None else max(self.peak, value)
            self.updated_at = time.monotonic()

    @property
    def gone(self) -> bool:
        return self.samples > 0 and self.missing >= self.missing_limit


def map_notification(payload: Any, pid: int) -> TargetEvent | None:
    """A device notification about our pid as a timeline event (None for others).

    pymobiledevice3's notifications channel yields ``(selector, [args])`` for
    dispatched messages, the args a dict describing the process.  The field
    names used here (``pid``, ``kind``/``state_description``/``reason``) come
    from pymobiledevice3's source and Instruments' DTX messages, not from a
    recording: they are checked by the ``device``-marked test on a real device.
    """
    if isinstance(payload, (tuple, list)) and len(payload) == 2 and isinstance(payload[0], str):
        selector, args = payload
        body = args[0] if isinstance(args, list) and args and isinstance(args[0], Mapping) else {}
    elif isinstance(payload, Mapping):
        selector, body = str(payload.get("selector", "")), payload
    else:
        return None
    if body.get("pid") not in (pid, str(pid)):
        return None
    text = " ".join(str(body.get(k, "")) for k in ("kind", "state_description", "reason", "description")).lower()
    memory = "memory" in selector.lower() or "memory" in text
    if "jetsam" in text or (memory and ("kill" in text or "terminat" in text)):
        return TargetEvent("jetsam_kill", "jetsam: killed by the device's memory limit", {"notification": selector})
    if memory:
        return TargetEvent("memory_warning_received", "the device sent a memory warning", {"notification": selector})
    if "terminat" in text:
        return TargetEvent("app_terminated", body.get("state_description") or "terminated", {"notification": selector})
    return None


@dataclass
class _DeviceHandle:
    tracker: SysmonTracker
    events: list = field(default_factory=list)
    jetsam: bool = False
    ended: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class DeviceTarget:
    kind = "device"

    def __init__(self, session: DeviceSession, interval_ms: int = 500, jetsam_override: int | None = None,
                 warning_mode: str = "off", wda_url: str | None = None, stale_after: float = 10.0) -> None:
        self.session = session
        self.interval_ms = interval_ms
        self.jetsam_override = jetsam_override
        self.warning_mode = warning_mode
        self.default_wda_url = wda_url
        self.stale_after = stale_after
        self._info = session.info()
        caps = {Capability.JETSAM_LIMIT, Capability.WDA}
        if warning_mode == "experimental":
            caps.add(Capability.MEMORY_WARNING)
        self.capabilities = frozenset(caps)

    def profile(self) -> Profile:
        model = self._info.get("ProductType", "unknown")
        os_name = "iPadOS" if self._info.get("DeviceClass") == "iPad" else "iOS"
        name = jetsam_limits.marketing_name(model) or self._info.get("DeviceName", "")
        return Profile("device", model, f"{os_name} {self._info.get('ProductVersion', '?')}", name=name)

    def jetsam_limit(self) -> JetsamLimit | None:
        if self.jetsam_override:
            return JetsamLimit(self.jetsam_override, "--iosmem-jetsam-limit")
        return jetsam_limits.lookup(self._info.get("ProductType", ""), self._info.get("ProductVersion"))

    def _watch(self, app: App) -> App:
        handle: _DeviceHandle = app.handle

        def on_event(payload: Any) -> None:
            event = map_notification(payload, app.pid)
            if event is None:
                return
            with handle.lock:
                if event.kind == "jetsam_kill":
                    handle.jetsam = True
                if event.kind in ("jetsam_kill", "app_terminated"):
                    handle.ended = True
                handle.events.append(event)

        self.session.start_sysmon(self.interval_ms, handle.tracker.feed)
        self.session.start_notifications(on_event)
        return app

    def launch(self, spec: AppSpec) -> App:
        if not spec.bundle_id:
            raise UsageError("the device target launches apps by bundle id: give --iosmem-app BUNDLE_ID")
        pid = self.session.launch(spec.bundle_id, spec.args, spec.env)
        return self._watch(App(pid, spec.name or spec.bundle_id, self.kind, wda_url=self.default_wda_url,
                               bundle_id=spec.bundle_id, handle=_DeviceHandle(SysmonTracker(pid))))

    def attach(self, pid: int) -> App:
        return self._watch(App(pid, f"pid {pid}", self.kind, wda_url=self.default_wda_url, launched=False,
                               handle=_DeviceHandle(SysmonTracker(pid))))

    def attach_bundle(self, bundle_id: str) -> App:
        pid = self.session.pid_for_bundle(bundle_id)
        if not pid:
            raise TargetError(f"{bundle_id} is not running on the device")
        app = self.attach(pid)
        app.bundle_id = bundle_id
        return app

    def read(self, app: App) -> Reading:
        handle: _DeviceHandle = app.handle
        t = handle.tracker
        with t.lock:
            latest, peak, updated = t.latest, t.peak, t.updated_at
        if t.gone or handle.ended:
            raise ReadFailed(f"pid {app.pid} is no longer in the device's process samples")
        if latest is None:
            raise ReadFailed("no sysmontap sample of the app yet")
        if time.monotonic() - updated > self.stale_after:
            raise ReadFailed(f"no sysmontap sample for {self.stale_after:g}s (is the device connection alive?)")
        return Reading(latest, peak)

    def poll_termination(self, app: App) -> Termination | None:
        handle: _DeviceHandle = app.handle
        if not (handle.tracker.gone or handle.ended):
            return None
        last = handle.tracker.latest
        if handle.jetsam:
            return Termination("jetsam", "jetsam: killed by the device's memory limit", last_footprint=last)
        return Termination("unknown", "the app is no longer running on the device", last_footprint=last)

    def drain_events(self, app: App) -> list[TargetEvent]:
        handle: _DeviceHandle = app.handle
        with handle.lock:
            out, handle.events = handle.events, []
        return out

    def memory_warning(self, app: App) -> None:
        if self.warning_mode != "experimental":
            raise NotSupported(
                "no public tool sends a memory warning to an app on a device; "
                "--iosmem-device-memory-warning experimental tries Instruments' process-control event"
            )
        self.session.send_memory_warning(app.pid)

    def terminate(self, app: App) -> Termination | None:
        if app.launched:
            self.session.kill(app.pid)
        return self.poll_termination(app)

    def wda_url(self, app: App, timeout: float) -> str:
        if app.wda_url:
            return app.wda_url
        raise TargetError("give the WebDriverAgent URL of the device: --iosmem-wda-url http://DEVICE_OR_FORWARD:8100")

    def class_histogram(self, app: App) -> list[ClassStat]:
        raise NotSupported("class histograms on a device need a memory graph opened on a Mac (heap/leaks)")

    def close(self) -> None:
        self.session.close()


def create(ctx: TargetContext) -> DeviceTarget:
    from .device_adapter import connect

    mode = (ctx.option("device_memory_warning") or "off").strip().lower()
    if mode not in ("off", "experimental"):
        raise UsageError(f"--iosmem-device-memory-warning={mode!r}: choose off or experimental")
    try:
        interval = int(float(ctx.option("device_sysmon_interval") or 0.5) * 1000)
    except ValueError:
        raise UsageError(f"--iosmem-device-sysmon-interval={ctx.option('device_sysmon_interval')!r} is not seconds") from None
    limit = ctx.option("jetsam_limit")
    try:
        override = parse_size(limit) if limit else None
    except ValueError as exc:
        raise UsageError(f"--iosmem-jetsam-limit={limit!r}: {exc}") from None
    return DeviceTarget(connect(ctx.option("device_udid")), max(interval, 1), override, mode, ctx.option("wda_url"))


def device_rows() -> list[list[str]]:
    from .device_adapter import list_devices

    rows = []
    for d in list_devices():
        model = d.get("ProductType", "?")
        key = Profile("device", model, f"iOS {d.get('ProductVersion', '?')}").key
        rows.append(["device", d.get("UniqueDeviceID", "?"), jetsam_limits.marketing_name(model) or d.get("DeviceName", ""),
                     key, d.get("ConnectionType", "connected")])
    return rows
