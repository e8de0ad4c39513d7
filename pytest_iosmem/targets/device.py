"""The device target: an app on a connected iPhone or iPad, through pymobiledevice3.

All pymobiledevice3 calls live in :mod:`.device_adapter`; this module is the
logic above that seam and imports nothing heavy.  The seam is
:class:`DeviceSession` (in :mod:`.device_session`, so that the adapter and this
module do not import each other); tests replace it with a session that replays
recorded sysmontap rows and notification payloads.

- Footprint: sysmontap's ``physFootprint`` (bytes) of our pid.  The adapter
  streams samples from its own asyncio thread into :class:`SysmonTracker`;
  ``read()`` returns the latest value and never waits on the device; the
  value's sample number (``Reading.sequence``) lets the sampler and settling
  count only fresh samples, and settling reads at sysmontap's rate
  (``sample_interval``), not every 40 ms.  One
  stream serves every app the target watches (a pytest run launches the app
  once per test; streams must not pile up).
- Death: our pid missing from consecutive process samples, or an
  ``applicationStateNotification:`` saying ``Terminated``.  It is reported
  as jetsam only with evidence (a memory notification for our pid shortly
  before, or a last footprint at the known limit), and says which.
- Memory warnings *received* from the OS (``memoryLevelNotification:`` for
  our pid) go into the timeline (a failure of that stream is a note, never a
  footprint read failure: the two streams have separate error callbacks).
- Memory warnings *sent*: ``xcrun devicectl device process sendMemoryWarning
  --device UDID --pid PID`` (Xcode 15+, a Mac host; what appium-xcuitest-driver's
  ``mobileSendMemoryWarning`` runs), or the experimental process-control event.
  Either counts only when a memory notification for the pid follows (the
  stream above); otherwise :class:`~pytest_iosmem.errors.WarningUnconfirmed`,
  so the reclaim check is not run rather than failing a healthy app.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from ..errors import NotSupported, ParseError, ReadFailed, TargetError, UsageError, WarningUnconfirmed
from ..parsers.sysmontap import footprint_bytes, process_rows
from ..timeline import EventKind
from ..settings import (parse_device_memory_warning, parse_device_rsd, parse_device_tunneld, parse_jetsam_limit,
                        parse_sysmon_interval)
from . import TargetContext
from .base import App, AppSpec, Reading, TargetEvent, Termination
from ..values import ClassStat, JetsamLimit, Profile
from .catalog import DEVICE_OPTIONS
from .device_session import DeviceSession, MemoryGraph

if TYPE_CHECKING:
    from ..attribution.stacks import Generation

__all__ = [
    "DeviceSession",
    "MemoryGraph",
    "MemgraphCapture",
    "Notification",
    "SysmonTracker",
    "DeviceTarget",
    "parse_notification",
    "map_notification",
    "memory_level_name",
    "OPTIONS",
    "create",
    "device_rows",
]

OPTIONS = DEVICE_OPTIONS

# -- sysmontap ---------------------------------------------------------------------------------


@dataclass
class SysmonTracker:
    """The latest footprint of one pid from the sysmontap stream, and whether the pid went away.

    ``missing`` counts consecutive *process* samples without our pid; system-only
    messages do not count (they carry no process at all).
    """

    pid: int
    missing_limit: int = 3
    latest: int | None = None
    samples: int = 0
    missing: int = 0
    unreadable: int = 0  # samples where our row had no usable physFootprint
    error: str | None = None
    updated_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def feed(self, attributes: Sequence[str], message: Any) -> None:
        try:
            rows = process_rows(attributes, message)
            row = rows.get(self.pid) if rows is not None else None
            value = footprint_bytes(row) if row is not None else None
        except ParseError as exc:
            with self.lock:
                self.error = str(exc)
            return
        if rows is None:
            return
        with self.lock:
            self.error = None
            if row is None:
                self.missing += 1
            elif value is None:
                self.missing = 0
                self.unreadable += 1
            else:
                self.missing = 0
                self.samples += 1
                self.latest = value
                self.updated_at = time.monotonic()

    @property
    def gone(self) -> bool:
        """Seen at least once, then absent from ``missing_limit`` samples in a row."""
        return self.samples > 0 and self.missing >= self.missing_limit


# -- memory warnings sent ------------------------------------------------------------------------
#: a sent warning's memory notification arrives within about a second; 5 s is generous and bounded
WARNING_CONFIRM_TIMEOUT = 5.0
DEVICECTL_TIMEOUT = 60.0


def devicectl_warning_argv(udid: str, pid: int) -> list[str]:
    """``xcrun devicectl device process sendMemoryWarning --device UDID --pid PID`` (Xcode 15+).

    The command appium-xcuitest-driver's ``mobileSendMemoryWarning`` runs
    (``lib/devicectl``: subcommand, ``--device UDID``, then ``--pid``).
    """
    return ["xcrun", "devicectl", "device", "process", "sendMemoryWarning", "--device", udid, "--pid", str(pid)]


# -- notifications -----------------------------------------------------------------------------

#: memoryLevelNotification codes as appium-ios-remotexpc documents them (0 normal, 1 warning,
#: 2 critical); other codes are shown as numbers rather than guessed.
_LEVELS = {0: "normal", 1: "warning", 2: "critical"}


def memory_level_name(code: int | None) -> str:
    if code is None:
        return "unknown"
    return _LEVELS.get(code, f"level {code}")


@dataclass(frozen=True)
class Notification:
    """One mobilenotifications message, decoded."""

    selector: str
    pid: int | None
    state: str = ""  # applicationStateNotification: Foreground, Background, Suspended, Terminated
    code: int | None = None  # memoryLevelNotification
    app_name: str = ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def parse_notification(payload: Any) -> Notification | None:
    """A payload as pymobiledevice3 yields it, or None when it is not about a process.

    pymobiledevice3's NotificationsService queues dispatched messages as
    ``(selector, [args])``; appium-ios-remotexpc documents the same messages as
    ``{"selector": ..., "data": ...}``.  The body is a dict with ``pid`` and
    ``state_description``/``appName`` (app state) or ``code`` (memory level).
    """
    if isinstance(payload, (tuple, list)) and len(payload) == 2 and isinstance(payload[0], str):
        selector, args = payload
    elif isinstance(payload, Mapping) and isinstance(payload.get("selector"), str):
        selector, args = payload["selector"], payload.get("data")
    else:
        return None
    if isinstance(args, (list, tuple)):
        body = next((a for a in args if isinstance(a, Mapping)), None)
    else:
        body = args if isinstance(args, Mapping) else None
    if body is None:
        return None
    return Notification(
        selector=selector,
        pid=_int(body.get("pid")),
        state=str(body.get("state_description") or ""),
        code=_int(body.get("code")),
        app_name=str(body.get("appName") or ""),
    )


def map_notification(note: Notification, pid: int) -> TargetEvent | None:
    """A notification as a timeline event for the app ``pid`` (None when it says nothing about it).

    - memory level for our pid above normal: the OS warned the app
      (``memory_warning`` with ``source: device``: it was received, not sent by us);
    - memory level for pid -1: device-wide pressure, a note;
    - app state of our pid: a note (Background/Suspended explain odd footprints,
      Terminated precedes the termination the sampler reports).
    """
    if note.selector.startswith("memoryLevelNotification"):
        level = memory_level_name(note.code)
        data = {"source": "device", "code": note.code, "level": level}
        if note.pid == pid and note.code:
            return TargetEvent(EventKind.MEMORY_WARNING, f"the device sent the app a memory warning ({level})", data)
        if note.pid == -1:
            return TargetEvent(EventKind.NOTE, f"device-wide memory pressure: {level}", data)
        return None
    if note.selector.startswith("applicationStateNotification") and note.pid == pid and note.state:
        return TargetEvent(EventKind.NOTE, f"app state: {note.state}", {"source": "device", "state": note.state})
    return None


def _os_name(model: str, version: str) -> str:
    """iPads run iPadOS from 13 on; before that, and on iPhones, iOS."""
    major = version.split(".")[0]
    return "iPadOS" if model.startswith("iPad") and major.isdigit() and int(major) >= 13 else "iOS"


def _release(version: str) -> str:
    """``17.2.1`` -> ``17.2``: profiles key the major.minor release, not the patch, so
    a point update (which Apple ships every few weeks) does not orphan every baseline."""
    return ".".join(version.split(".")[:2])


# -- the seam's errors -------------------------------------------------------------------------
def _at_seam(what: str, call: Callable[..., Any], *args: Any) -> Any:
    """Call the session; anything but our own errors becomes a TargetError naming the call.

    The adapter translates what pymobiledevice3 raises through its event loop,
    but a session can still raise something else (an OSError from a socket, a
    bug in a pymobiledevice3 release): above this line only the target's
    errors exist, so the plugin reports them as what they are.
    """
    from ..errors import IosMemError

    try:
        return call(*args)
    except IosMemError:
        raise
    except Exception as exc:  # noqa: BLE001 - turned into the target's error, cause kept
        raise TargetError(f"device: {what} failed: {type(exc).__name__}: {exc}") from exc


# -- the target --------------------------------------------------------------------------------

_JETSAM_NEAR_LIMIT = 0.95  # a death with the last footprint this close to the limit is jetsam
_WARNING_WINDOW = 10.0  # seconds: a memory warning this shortly before death points at jetsam


@dataclass(frozen=True)
class MemgraphCapture:
    """A saved memory graph: where it is and how many allocations leaked."""

    path: str | None
    leaked_count: int

    def describe(self) -> str:
        where = f"saved to {self.path}" if self.path else "no graph written (nothing leaked)"
        return f"memory graph: {self.leaked_count} leaked allocation(s), {where} (open it with leaks/heap on a Mac)"


@dataclass
class _Watch:
    """What the target knows about one watched app."""

    tracker: SysmonTracker
    events: list[TargetEvent] = field(default_factory=list)
    state: str = ""
    warned_at: float | None = None  # monotonic time of the last memory warning for our pid
    worst_code: int = 0
    killed_by_us: bool = False
    termination: Termination | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class DeviceTarget:
    """Target on a connected device, over a :class:`DeviceSession`."""

    kind = "device"

    def __init__(
        self,
        session: DeviceSession,
        interval_ms: int = 500,
        jetsam_override: int | None = None,
        warning_mode: str = "off",
        wda_url: str | None = None,
        stale_after: float = 10.0,
        memgraph_dir: str | None = None,
        stack_logging: bool = False,
        stacks_dir: str | None = None,
    ) -> None:
        parse_device_memory_warning(warning_mode)
        self.session = session
        self.interval_ms = interval_ms
        #: sysmontap's rate: a new footprint only this often (settling reads at this rate)
        self.sample_interval = interval_ms / 1000.0
        self.jetsam_override = jetsam_override
        self.warning_mode = warning_mode
        self.default_wda_url = wda_url
        self.stale_after = stale_after
        self.memgraph_dir = memgraph_dir  # set: capture a .memgraph before stopping each launched app
        self.memgraphs: list[MemgraphCapture] = []
        #: attribution on: launch with MallocStackLogging, read stacks from memgraphs (allocation_stacks)
        self.stack_logging = stack_logging
        self.stacks_dir = stacks_dir or memgraph_dir or os.path.join("iosmem-artifacts", "memgraphs")
        self._stack_graphs = 0
        self._info = _at_seam("reading the device's identity", session.info)
        self._watches: dict[int, _Watch] = {}
        self._lock = threading.Lock()
        self._streams_started = False
        self._stream_error: str | None = None
        self._notification_error: str | None = None
        self._pressure_code: int | None = None
        #: seconds a sent memory warning has to show up as a memory notification for the app
        self.warning_confirm_timeout = WARNING_CONFIRM_TIMEOUT

    # -- identity --------------------------------------------------------------------------
    def profile(self) -> Profile:
        from .. import jetsam_limits

        model = self._info.get("ProductType") or "unknown"
        version = self._info.get("ProductVersion") or "?"
        name = jetsam_limits.marketing_name(model) or self._info.get("DeviceName", "")
        os_name = f"{_os_name(model, version)} {_release(version)}"
        if self.stack_logging:  # MallocStackLogging adds to the footprint: its baselines are not the untraced app's
            os_name = f"{os_name}-stacks"
        return Profile("device", model, os_name, name=name)

    def jetsam_limit(self) -> JetsamLimit | None:
        if self.jetsam_override:
            return JetsamLimit(self.jetsam_override, "--iosmem-jetsam-limit")
        from .. import jetsam_limits

        return jetsam_limits.lookup(self._info.get("ProductType", ""), self._info.get("ProductVersion"))

    # -- streams ---------------------------------------------------------------------------
    def _on_sample(self, attributes: Sequence[str], message: Any) -> None:
        with self._lock:
            watches = list(self._watches.values())
        for w in watches:
            w.tracker.feed(attributes, message)

    def _on_notification(self, payload: Any) -> None:
        note = parse_notification(payload)
        if note is None:
            return
        with self._lock:
            watches = dict(self._watches)
            if note.pid == -1 and note.selector.startswith("memoryLevelNotification"):
                if note.code == self._pressure_code:
                    return  # the device repeats its level; one note per change is enough
                self._pressure_code = note.code
        for pid, w in watches.items():
            event = map_notification(note, pid)
            if event is None:
                continue
            with w.lock:
                if note.pid == pid and note.code:
                    w.warned_at = time.monotonic()
                    w.worst_code = max(w.worst_code, note.code)
                if note.pid == pid and note.state:
                    w.state = note.state
                w.events.append(event)

    def _on_stream_error(self, message: str) -> None:
        """The sysmontap stream died: footprint reads fail from now on, with this reason."""
        self._stream_error = message

    def _on_notification_error(self, message: str) -> None:
        """The notification stream died: a note, not a read failure (the footprint comes from sysmontap).

        Without notifications, memory warnings the OS sends are not seen and a
        death is not attributed to jetsam from a warning; the note says so.
        """
        text = f"{message} (memory warnings the device sends are no longer seen)"
        with self._lock:
            self._notification_error = text
            watches = list(self._watches.values())
        for w in watches:
            with w.lock:
                w.events.append(TargetEvent(EventKind.NOTE, text, {"source": "device"}))

    def _ensure_streams(self) -> None:
        with self._lock:
            if self._streams_started:
                return
            self._streams_started = True
        _at_seam("starting sysmontap", self.session.start_sysmon, self.interval_ms, self._on_sample,
                 self._on_stream_error)
        try:
            self.session.start_notifications(self._on_notification, self._on_notification_error)
        except Exception as exc:  # noqa: BLE001 - notifications are optional: a note, not a failure
            self._on_notification_error(f"memory notifications did not start: {type(exc).__name__}: {exc}")

    def _watch(self, app: App) -> App:
        app.handle = _Watch(SysmonTracker(app.pid))
        with self._lock:
            self._watches[app.pid] = app.handle
            if self._notification_error:
                app.handle.events.append(TargetEvent(EventKind.NOTE, self._notification_error, {"source": "device"}))
        self._ensure_streams()
        return app

    def _unwatch(self, app: App) -> None:
        with self._lock:
            self._watches.pop(app.pid, None)

    # -- app lifecycle ---------------------------------------------------------------------
    def launch(self, spec: AppSpec) -> App:
        if not spec.bundle_id:
            raise UsageError("the device target launches apps by bundle id: give --iosmem-app BUNDLE_ID")
        env = dict(spec.env)
        if self.stack_logging:  # the memgraph then carries allocation stacks (see allocation_stacks)
            env.setdefault("MallocStackLogging", "1")
        pid = _at_seam(f"launching {spec.bundle_id}", self.session.launch, spec.bundle_id, list(spec.args), env)
        app = App(pid, spec.name or spec.bundle_id, self.kind, wda_url=self.default_wda_url, bundle_id=spec.bundle_id)
        return self._watch(app)

    def attach(self, pid: int) -> App:
        return self._watch(App(pid, f"pid {pid}", self.kind, wda_url=self.default_wda_url, launched=False))

    def attach_bundle(self, bundle_id: str) -> App:
        """Attach to the running app with this bundle id (``iosmem sample --bundle``)."""
        pid = _at_seam(f"finding {bundle_id}", self.session.pid_for_bundle, bundle_id)
        if not pid:
            raise TargetError(f"{bundle_id} is not running on the device (launch it, or use --iosmem-app to have it launched)")
        app = self.attach(pid)
        app.bundle_id = bundle_id
        app.name = bundle_id
        return app

    def read(self, app: App) -> Reading:
        w: _Watch = app.handle
        t = w.tracker
        with t.lock:
            latest, updated, error, unreadable, samples = t.latest, t.updated_at, t.error, t.unreadable, t.samples
        if self._ended(w):
            raise ReadFailed(f"pid {app.pid} is no longer running on the device")
        if self._stream_error:
            raise ReadFailed(f"the sysmontap stream stopped: {self._stream_error}")
        if error:
            raise ReadFailed(error)
        if latest is None:
            why = " (its rows carry no physFootprint)" if unreadable else ""
            raise ReadFailed(f"no sysmontap sample of the app yet{why}")
        if time.monotonic() - updated > self.stale_after:
            raise ReadFailed(f"no sysmontap sample for {self.stale_after:g}s (is the device still connected?)")
        # Reading.peak is the OS's lifetime maximum; sysmontap has none for the footprint.
        # sequence: read() returns the stream's latest value; only a new sample is a new reading.
        return Reading(latest, sequence=samples)

    def _ended(self, w: _Watch) -> bool:
        return w.killed_by_us or w.tracker.gone or w.state == "Terminated"

    def poll_termination(self, app: App) -> Termination | None:
        w: _Watch = app.handle
        with w.lock:
            if w.termination is not None:
                return w.termination
            if not self._ended(w):
                return None
            w.termination = self._describe_end(w)
            return w.termination

    def _describe_end(self, w: _Watch) -> Termination:
        last = w.tracker.latest
        if w.killed_by_us:
            return Termination("signal", "stopped by iosmem (SIGKILL through process control)", signal=9,
                               last_footprint=last)
        evidence = []
        if w.worst_code >= 2:
            evidence.append(f"a {memory_level_name(w.worst_code)} memory notification for the app")
        elif w.warned_at is not None and time.monotonic() - w.warned_at <= _WARNING_WINDOW:
            evidence.append("a memory warning for the app just before")
        limit = self.jetsam_limit()
        if limit is not None and last is not None and last >= _JETSAM_NEAR_LIMIT * limit.bytes:
            evidence.append(f"last footprint {last} bytes at {last / limit.bytes:.0%} of the limit ({limit.source})")
        if evidence:
            return Termination("jetsam", "jetsam (inferred from " + "; ".join(evidence) + ")", last_footprint=last)
        how = "its state became Terminated" if w.state == "Terminated" else "its pid left the process samples"
        return Termination("unknown", f"the app ended on the device ({how}; no memory notification before it: "
                           "a crash or an exit, see the device's crash reports)", last_footprint=last)

    def drain_events(self, app: App) -> list[TargetEvent]:
        w: _Watch = app.handle
        with w.lock:
            out, w.events = w.events, []
        return out

    def memory_warning(self, app: App) -> None:
        """Send a memory warning (devicectl, or the experimental event), then wait for the device to confirm it."""
        mode = self.warning_mode
        if mode == "off":
            raise NotSupported("--iosmem-device-memory-warning off: no memory warning was sent")
        sent_at = time.monotonic()
        if mode == "experimental":
            _at_seam("the experimental memory warning", self.session.send_memory_warning, app.pid)
            how = "Instruments' process-control MemoryEvent"
        else:
            if shutil.which("xcrun") is None:
                raise NotSupported("a memory warning is sent to a device app with Xcode 15+'s `xcrun devicectl device "
                                   "process sendMemoryWarning`, which needs a Mac host; none here, so none was sent "
                                   "(--iosmem-device-memory-warning experimental tries Instruments' MemoryEvent)")
            self._devicectl_warning(app.pid)
            how = "devicectl"
        self._confirm_warning(app, sent_at, how)

    def _devicectl_warning(self, pid: int) -> None:
        from .host_tools import last_words, run_tool

        udid = self._info.get("UniqueDeviceID")
        if not udid:
            raise NotSupported("the device did not say its UDID, which devicectl needs (--device); no memory "
                               "warning was sent")
        argv = devicectl_warning_argv(udid, pid)
        proc = run_tool(argv, DEVICECTL_TIMEOUT)
        if proc.returncode != 0:
            raise NotSupported(f"'{' '.join(argv)}' failed (exit {proc.returncode}): {last_words(proc)}; "
                               "no memory warning was sent (devicectl needs Xcode 15 or later and the device paired "
                               "with this Mac)")

    def _confirm_warning(self, app: App, sent_at: float, how: str) -> None:
        """Wait for a memory notification for the app's pid after ``sent_at``; none: WarningUnconfirmed."""
        w: _Watch = app.handle
        deadline = sent_at + self.warning_confirm_timeout
        while True:
            with w.lock:
                if w.warned_at is not None and w.warned_at >= sent_at:
                    w.events.append(TargetEvent(EventKind.NOTE, f"memory warning sent through {how}, confirmed by "
                                                                "the device's memory notification for the app"))
                    return
            if self._notification_error or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        why = (f"the memory notification stream stopped ({self._notification_error})" if self._notification_error
               else f"no memory notification for pid {app.pid} within {self.warning_confirm_timeout:g}s")
        raise WarningUnconfirmed(f"a memory warning was sent through {how} but not confirmed: {why}; "
                                 "the reclaim check is not run")

    def failure_artifacts(self, app: App, label: str) -> list[str]:
        """On a failed gate, with --iosmem-device-memgraph: the app's memory graph (see FailureArtifacts)."""
        if not self.memgraph_dir:
            return []
        capture = self.capture_memgraph(app, self.memgraph_dir, label)
        self.memgraphs.append(capture)
        return [capture.path] if capture.path else []

    def capture_memgraph(self, app: App, directory: str, label: str = "") -> MemgraphCapture:
        """Save the app's memory graph through the Leaks channel (development-signed apps only)."""
        graph = _at_seam(f"capturing the memory graph of pid {app.pid}", self.session.memory_graph, app.pid)
        path = None
        if graph.data is not None:
            os.makedirs(directory, exist_ok=True)
            stem = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in (label or app.name))
            path = os.path.join(directory, f"{stem}-{app.pid}.memgraph")
            with open(path, "wb") as fh:
                fh.write(graph.data)
        return MemgraphCapture(path, graph.leaked_count)

    def terminate(self, app: App) -> Termination | None:
        w: _Watch = app.handle
        if app.launched and not self._ended(w):
            if self.memgraph_dir:
                try:
                    self.memgraphs.append(self.capture_memgraph(app, self.memgraph_dir))
                except TargetError as exc:
                    with w.lock:
                        w.events.append(TargetEvent(EventKind.NOTE, f"memory graph not captured: {exc}"))
            try:
                _at_seam(f"stopping pid {app.pid}", self.session.kill, app.pid)
            except TargetError as exc:  # the device went away: say so; stopping must not fail the test
                with w.lock:
                    w.events.append(TargetEvent(EventKind.NOTE, f"the app could not be stopped: {exc}"))
                self._unwatch(app)
                return self.poll_termination(app)
            with w.lock:
                w.killed_by_us = True
        term = self.poll_termination(app)
        self._unwatch(app)
        return term

    def wda_url(self, app: App, timeout: float) -> str:
        if app.wda_url:
            return app.wda_url
        raise TargetError(
            "give the WebDriverAgent URL of the device: --iosmem-wda-url http://127.0.0.1:8100 "
            "(with the port forwarded: python3 -m pymobiledevice3 usbmux forward 8100 8100)"
        )

    def class_histogram(self, app: App) -> list[ClassStat]:
        raise NotSupported("class histograms on a device need a memory graph opened on a Mac "
                           "(--iosmem-device-memgraph saves one; then: heap FILE.memgraph)")

    def allocation_stacks(self, app: App) -> "Generation":
        """The app's memory graph (Leaks channel), then ``malloc_history GRAPH -allBySize`` on a Mac.

        ``malloc_history`` ships with macOS only: on another host the graph is
        kept and :class:`~.malloc_history.Deferred` says where, and how to read
        it on a Mac; the measurement carries on (both generations are kept).
        """
        from pathlib import Path

        from . import malloc_history as mh

        self._stack_graphs += 1
        capture = self.capture_memgraph(app, self.stacks_dir, f"stacks-{self._stack_graphs}")
        if capture.path is None:
            raise NotSupported("the Leaks channel returned no memory graph, so there are no allocation stacks")
        self.memgraphs.append(capture)
        if not mh.available():
            raise mh.Deferred(
                f"allocation stacks need a Mac (malloc_history ships with macOS only); memory graph kept: "
                f"{capture.path} (on a Mac: malloc_history {capture.path} -allBySize > stacks-{self._stack_graphs}.txt,"
                f" then iosmem stacks-diff stacks-1.txt stacks-2.txt)", capture.path)
        return mh.read_generation(capture.path, Path(capture.path).with_suffix(".malloc_history.txt"))

    def close(self) -> None:
        try:
            self.session.close()
        except Exception:  # noqa: BLE001 - closing is bounded and must not fail the run
            pass


def create(ctx: TargetContext) -> DeviceTarget:
    """Connect to the device the options name (or the only one) and build the target."""
    mode = parse_device_memory_warning(ctx.option("device_memory_warning"))
    seconds = parse_sysmon_interval(ctx.option("device_sysmon_interval"))
    override = parse_jetsam_limit(ctx.option("jetsam_limit"))
    memgraph_dir = None
    if ctx.flag("device_memgraph"):
        memgraph_dir = os.path.join(ctx.artifacts_dir or "iosmem-artifacts", "memgraphs")

    from .device_adapter import connect

    session = connect(ctx.option("device_udid") or None, parse_device_rsd(ctx.option("device_rsd")),
                      parse_device_tunneld(ctx.option("device_tunneld")))
    try:
        return DeviceTarget(session, int(seconds * 1000), override, mode, ctx.option("wda_url"),
                            memgraph_dir=memgraph_dir,
                            stack_logging=str(ctx.option("attribution") or "").strip().lower() == "on",
                            stacks_dir=os.path.join(ctx.artifacts_dir or "iosmem-artifacts", "memgraphs"))
    except BaseException:
        session.close()
        raise


def device_rows() -> list[list[str]]:
    """Rows for ``iosmem devices``: connected devices with their baseline profile key."""
    from .. import jetsam_limits
    from .device_adapter import list_devices

    rows = []
    for d in list_devices():
        model = d.get("ProductType") or "?"
        version = d.get("ProductVersion") or "?"
        key = Profile("device", model, f"{_os_name(model, version)} {_release(version)}").key
        name = jetsam_limits.marketing_name(model) or d.get("DeviceName", "")
        rows.append(["device", d.get("UniqueDeviceID", "?"), name, key, d.get("ConnectionType") or "connected"])
    return rows
