"""The simulator target: an iOS app on an iOS Simulator, from a macOS host.

A thin layer over Apple's tools: ``xcrun simctl`` finds, boots and launches
(:mod:`.simctl`); the app is a host process whose footprint libproc reads
(``proc_pid_rusage``: phys_footprint and the lifetime peak), with
``footprint PID`` as the fallback; the memory warning is
``simctl spawn <udid> notifyutil -p com.apple.UIKit.SimulatorMemoryWarning``;
``heap PID`` answers "who allocated".  Simulators enforce no jetsam limit,
so the limit reported is the emulated model's, from
:mod:`pytest_iosmem.jetsam_limits`, or the user's ``--iosmem-jetsam-limit``.

With pytest-xdist, each worker takes its own simulator: from
``--iosmem-simulator-pool`` (UDIDs, optionally ``UDID@WDA_URL``) by worker
index, or a clone of one simulator per worker (``--iosmem-simulator-clone``),
deleted at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from .. import jetsam_limits
from ..errors import NotSupported, ReadFailed, TargetError, TargetUnavailable, UsageError
from ..units import parse_size
from . import TargetContext
from .base import App, AppSpec, Capability, ClassStat, JetsamLimit, Profile, Reading, TargetEvent, Termination
from .catalog import SIMULATOR_OPTIONS
from .simctl import Simctl

__all__ = ["SimulatorTarget", "OPTIONS", "create", "device_rows", "read_host_footprint"]

OPTIONS = SIMULATOR_OPTIONS


def read_host_footprint(pid: int) -> Reading:
    """libproc first; ``footprint PID`` when libproc cannot (the documented seam of this target)."""
    try:
        from .libproc import read_footprint

        return read_footprint(pid)
    except TargetUnavailable:
        pass
    except ReadFailed as libproc_error:
        if not shutil.which("footprint"):
            raise ReadFailed(f"{libproc_error}; and there is no 'footprint' tool to fall back on") from None
    if not shutil.which("footprint"):
        raise TargetUnavailable("neither libproc (macOS) nor the 'footprint' tool is available to read the footprint")
    from ..parsers.footprint_tool import parse_footprint

    proc = subprocess.run(["footprint", "--format", "bytes", str(pid)], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise ReadFailed(f"footprint {pid} failed: {(proc.stderr or proc.stdout).strip()[:200]}")
    now, peak = parse_footprint(proc.stdout)
    return Reading(now, peak)


@dataclass
class _SimHandle:
    bundle_id: str
    exited: bool = False


class SimulatorTarget:
    kind = "simulator"

    def __init__(self, simctl: Simctl, udid: str, device_type: dict, runtime_name: str, name: str,
                 jetsam_override: int | None = None, app_path: str | None = None,
                 clone_of: str | None = None, wda_url: str | None = None) -> None:
        self.simctl = simctl
        self.udid = udid
        self.device_type = device_type
        self.runtime_name = runtime_name
        self.name = name
        self.jetsam_override = jetsam_override
        self.app_path = app_path
        self.clone_of = clone_of
        self.default_wda_url = wda_url
        self.capabilities = frozenset(
            {Capability.MEMORY_WARNING, Capability.LIFETIME_PEAK, Capability.JETSAM_LIMIT, Capability.CLASS_HISTOGRAM,
             Capability.WDA}
        )
        self._installed = False

    # -- identity -------------------------------------------------------------------------
    def profile(self) -> Profile:
        # Keyed by the device type and runtime, never by the UDID: clones and pools share baselines.
        model = self.device_type.get("identifier") or self.name
        return Profile("simulator", model, self.runtime_name, name=self.device_type.get("name", self.name))

    def jetsam_limit(self) -> JetsamLimit | None:
        if self.jetsam_override:
            return JetsamLimit(self.jetsam_override, "--iosmem-jetsam-limit")
        model = jetsam_limits.model_for_device_type(self.device_type)
        return jetsam_limits.lookup(model, self.runtime_name) if model else None

    # -- lifecycle ------------------------------------------------------------------------
    def launch(self, spec: AppSpec) -> App:
        if not spec.bundle_id:
            raise UsageError("the simulator target launches apps by bundle id: give --iosmem-app BUNDLE_ID")
        self.simctl.boot(self.udid)
        if self.app_path and not self._installed:
            self.simctl.install(self.udid, self.app_path)
            self._installed = True
        pid = self.simctl.launch(self.udid, spec.bundle_id, spec.args, spec.env)
        return App(pid, spec.name or spec.bundle_id, self.kind, wda_url=self.default_wda_url,
                   bundle_id=spec.bundle_id, handle=_SimHandle(spec.bundle_id))

    def attach(self, pid: int) -> App:
        return App(pid, f"pid {pid}", self.kind, wda_url=self.default_wda_url, launched=False, handle=_SimHandle(""))

    def attach_bundle(self, bundle_id: str) -> App:
        """An app launched by someone else (WebDriverAgent): its host pid from launchd_sim."""
        pid = self.simctl.app_pid(self.udid, bundle_id)
        if pid is None:
            raise TargetError(f"{bundle_id} is not running on simulator {self.udid}")
        return App(pid, bundle_id, self.kind, wda_url=self.default_wda_url, bundle_id=bundle_id, launched=False,
                   handle=_SimHandle(bundle_id))

    def read(self, app: App) -> Reading:
        return read_host_footprint(app.pid)

    def poll_termination(self, app: App) -> Termination | None:
        try:
            os.kill(app.pid, 0)
            return None
        except ProcessLookupError:
            return Termination("unknown", "the app's process ended (simulators enforce no jetsam limit)")
        except PermissionError:
            return None

    def drain_events(self, app: App) -> list[TargetEvent]:
        return []

    def memory_warning(self, app: App) -> None:
        self.simctl.memory_warning(self.udid)

    def terminate(self, app: App) -> Termination | None:
        if app.launched and app.bundle_id:
            self.simctl.terminate(self.udid, app.bundle_id)
        return self.poll_termination(app)

    def wda_url(self, app: App, timeout: float) -> str:
        if app.wda_url:
            return app.wda_url
        raise TargetError("give the WebDriverAgent URL of this simulator: --iosmem-wda-url http://127.0.0.1:8100")

    def class_histogram(self, app: App) -> list[ClassStat]:
        if not shutil.which("heap"):
            raise NotSupported("the 'heap' tool is not on PATH (it comes with Xcode)")
        from ..errors import ParseError
        from ..parsers.heap import parse_heap

        proc = subprocess.run(["heap", str(app.pid)], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise NotSupported(f"heap could not inspect pid {app.pid}: {(proc.stderr or proc.stdout).strip()[:200]}")
        try:
            return parse_heap(proc.stdout).classes
        except ParseError as exc:
            raise NotSupported(str(exc)) from None

    def close(self) -> None:
        if self.clone_of:
            self.simctl.run(["simctl", "shutdown", self.udid], check=False)
            self.simctl.delete(self.udid)


def _pool_entry(pool: list[str], worker_id: str) -> tuple[str, str | None]:
    index = int(worker_id[2:]) if worker_id.startswith("gw") and worker_id[2:].isdigit() else 0
    if index >= len(pool):
        raise UsageError(
            f"--iosmem-simulator-pool has {len(pool)} simulator(s) but xdist worker {worker_id} needs one more: "
            "give one UDID per worker (-n N)"
        )
    udid, _, url = pool[index].partition("@")
    return udid.strip(), url.strip() or None


def create(ctx: TargetContext) -> SimulatorTarget:
    simctl = Simctl()
    pool = [p for p in (ctx.option("simulator_pool") or []) if str(p).strip()]
    wda_url = ctx.option("wda_url")
    udid = ctx.option("simulator_udid")
    if pool:
        udid, pool_url = _pool_entry([str(p) for p in pool], ctx.worker_id)
        wda_url = pool_url or wda_url
    device, listing = simctl.pick(udid, ctx.option("simulator_name"), ctx.option("simulator_runtime"))
    clone_of = None
    if ctx.flag("simulator_clone") and ctx.worker_id != "master":
        clone_udid = simctl.clone(device.udid, f"{device.name} iosmem {ctx.worker_id}")
        clone_of, device_udid = device.udid, clone_udid
    else:
        device_udid = device.udid
    limit = ctx.option("jetsam_limit")
    try:
        override = parse_size(limit) if limit else None
    except ValueError as exc:
        raise UsageError(f"--iosmem-jetsam-limit={limit!r}: {exc}") from None
    runtime = listing.runtime_of(device)
    from ..parsers.simctl import runtime_label

    return SimulatorTarget(
        simctl, device_udid, listing.device_types.get(device.device_type, {"identifier": device.device_type}),
        runtime.name if runtime else runtime_label(listing, device), device.name, override,
        ctx.option("simulator_app"), clone_of, wda_url,
    )


def device_rows() -> list[list[str]]:
    """Rows for ``iosmem devices``: every available simulator."""
    from ..parsers.simctl import runtime_label

    listing = Simctl().list()
    rows = []
    for d in listing.devices:
        if not d.available:
            continue
        dtype = listing.device_types.get(d.device_type, {"identifier": d.device_type})
        runtime = runtime_label(listing, d)
        key = Profile("simulator", dtype.get("identifier") or d.name, runtime).key
        rows.append(["simulator", d.udid, f"{d.name} ({runtime})", key, d.state])
    return rows
