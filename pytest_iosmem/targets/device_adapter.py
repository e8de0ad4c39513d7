"""The only module that imports pymobiledevice3: the device target's seam.

The seam
--------
:class:`pytest_iosmem.targets.device_session.DeviceSession` is what the device
target needs: ``info``, ``launch``, ``kill``, ``pid_for_bundle``,
``start_sysmon(interval_ms, on_sample, on_error)``,
``start_notifications(on_event, on_error)``, ``memory_graph``,
``send_memory_warning`` and ``close``.  :class:`PymobiledeviceSession`
implements it here; tests implement it with recorded rows
(tests/test_device.py), so everything above this file is tested without a
device.  Without a device, tests/test_device_adapter_pmd.py runs this file's
code against the real pymobiledevice3 down to the usbmuxd socket (a stand-in
usbmuxd that reports no device) and checks every name imported here.

How
---
pymobiledevice3 (11.26 or later: the first release with everything used
here, the Leaks channel's ``memory_graph`` being the newest) is asyncio.  The session owns one event loop in a
daemon thread; the test thread submits coroutines with a timeout and never
waits longer (:class:`_Loop`).  The sysmontap and notification streams are
tasks on that loop that call back into the target; ``close()`` cancels them
and tears the connection down, each step bounded, so a wedged device cannot
hang pytest.

Connection, in the order pymobiledevice3 recommends (its ``ios17-tunnels``
guide; :func:`_connect_provider`):

1. ``--iosmem-device-rsd HOST PORT``: the RSD of a tunnel the user started
   (``remote start-tunnel``, which prints ``RSD Address`` and ``RSD Port``);
2. a running ``tunneld`` that serves the device (``--iosmem-device-tunneld
   HOST:PORT``, default ``127.0.0.1:49151``);
3. iOS 17 and later: an in-process tunnel, no root
   (``PreferredRsdTunnel(serial=…)``: user-space, falling back on macOS to
   Apple's own ``remoted`` tunnel for iOS 17.0–17.3.1);
4. iOS 16 and older: lockdown over usbmux.

When none works the error names what to run.  Every call used here is in
pymobiledevice3 11.26.0 (``PreferredRsdTunnel`` and tunneld's
``tunneld_address`` included; checked against the 11.26.0 and 11.45.0
wheels), so that stays the floor.  pymobiledevice3 is imported inside
functions only: installing the plugin must not import it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Coroutine, Mapping, Sequence

from ..errors import NotSupported, TargetError, TargetUnavailable
from .device_session import MemoryGraph

__all__ = ["connect", "list_devices", "translate", "PymobiledeviceSession", "INSTALL_HINT", "TUNNELD_HINT",
           "DeviceFacts", "doctor_probe", "TUNNELD_DEFAULT", "REQUIREMENT"]

#: what pyproject's [device] extra pins; the doctor's and the errors' install hints say the same
REQUIREMENT = "pymobiledevice3>=11.26.0,<12"
#: where pymobiledevice3's tunneld listens unless told otherwise (tunneld/api.py TUNNELD_DEFAULT_ADDRESS)
TUNNELD_DEFAULT = ("127.0.0.1", 49151)

# This interpreter, not a bare `python3`: under sudo or outside the venv that is the system Python,
# which has no pymobiledevice3.
_PY = sys.executable or "python3"
INSTALL_HINT = (f"{_PY} -m pip install -e 'path/to/pytest-iosmem[device]' (from a checkout: it is not on the index; "
                f"it installs {REQUIREMENT!r})")
TUNNELD_HINT = f"sudo {_PY} -m pymobiledevice3 remote tunneld"
#: what to run when no route reaches an iOS 17+ device (only tunneld needs root, as pymobiledevice3 says)
NO_TUNNEL_HINT = (f"on macOS, without root: {_PY} -m pymobiledevice3 remote start-tunnel --native, then give the "
                  "address it prints as --iosmem-device-rsd 'HOST PORT'; elsewhere (iOS 17.0-17.3.1 has no "
                  f"in-process tunnel): {TUNNELD_HINT} and keep it running")
MOUNT_HINT = f"{_PY} -m pymobiledevice3 mounter auto-mount"
DEV_MODE_HINT = "turn on Settings > Privacy & Security > Developer Mode on the device (it restarts), " \
                f"or, on a device without a passcode only: {_PY} -m pymobiledevice3 amfi enable-developer-mode"
TRUST_HINT = "unlock the device and tap 'Trust' on 'Trust This Computer?', then run again"

#: The sysmontap process attributes we ask for (when the device offers them): few, so each
#: message stays small.  ``pid`` and ``physFootprint`` are required.
PROC_ATTRIBUTES = ("pid", "name", "physFootprint", "memResidentSize", "memAnon")

# pymobiledevice3 exception class name -> (our class, what to do).  Matched along the MRO, by name,
# so this table is testable without pymobiledevice3 and survives its module moves.
_HINTS: dict[str, tuple[type[TargetError], str]] = {
    "NoDeviceConnectedError": (TargetUnavailable, "no device is connected: plug it in by USB and unlock it "
                                                  "(iosmem devices lists what is seen)"),
    "DeviceNotFoundError": (TargetUnavailable, "the device is not connected (check --iosmem-device-udid; "
                                               "iosmem devices lists what is seen)"),
    "ConnectionFailedToUsbmuxdError": (TargetUnavailable, "usbmuxd is not running (Linux: apt-get install usbmuxd; "
                                                          "macOS runs it itself)"),
    "UserDeniedPairingError": (TargetUnavailable, "the device refused to trust this computer: " + TRUST_HINT),
    "PairingDialogResponsePendingError": (TargetUnavailable, "the device is waiting for an answer: " + TRUST_HINT),
    "PasswordRequiredError": (TargetUnavailable, "the device is locked: " + TRUST_HINT),
    "NotTrustedError": (TargetUnavailable, "the device does not trust this computer: " + TRUST_HINT),
    "FatalPairingError": (TargetUnavailable, "the device no longer accepts this computer's pairing: "
                                             "python3 -m pymobiledevice3 lockdown pair"),
    "NotPairedError": (TargetUnavailable, "the device is not paired with this computer: " + TRUST_HINT),
    "PairingError": (TargetUnavailable, "pairing with the device failed: " + TRUST_HINT),
    "DeveloperModeIsNotEnabledError": (TargetUnavailable, "Developer Mode is off: " + DEV_MODE_HINT),
    "DeveloperModeError": (TargetUnavailable, "Developer Mode is off: " + DEV_MODE_HINT),
    "DeveloperDiskImageNotFoundError": (TargetUnavailable, "no developer disk image for this iOS version: " + MOUNT_HINT),
    "NotMountedError": (TargetUnavailable, "the developer disk image is not mounted: " + MOUNT_HINT),
    "RSDRequiredError": (TargetUnavailable, "iOS 17 and later need a RemoteXPC tunnel: " + TUNNELD_HINT),
    "TunneldConnectionError": (TargetUnavailable, "tunneld is not running: " + TUNNELD_HINT),
    "InvalidServiceError": (TargetUnavailable, "the device does not offer Instruments' services: mount the developer "
                                               f"disk image ({MOUNT_HINT}); on iOS 17 and later also run {TUNNELD_HINT}"),
    "StartServiceError": (TargetUnavailable, "the device refused to start Instruments' services: mount the developer "
                                             f"disk image ({MOUNT_HINT}); on iOS 17 and later also run {TUNNELD_HINT}"),
    "ProcessInspectionError": (TargetError, "the device refused to inspect the app: it must be development-signed "
                                            "(get-task-allow)"),
    "AppNotInstalledError": (TargetError, "the app is not installed on the device"),
    "ConnectionTerminatedError": (TargetError, "the connection to the device was lost (cable, sleep, or tunnel restart)"),
    "UnrecognizedSelectorError": (TargetError, "the device does not know this Instruments call on this iOS version"),
}


def translate(exc: BaseException) -> TargetError:
    """pymobiledevice3's exception as ours, saying what to do.  Unknown kinds keep their text."""
    if isinstance(exc, TargetError):
        return exc
    for cls in type(exc).__mro__:
        hit = _HINTS.get(cls.__name__)
        if hit is not None:
            kind, hint = hit
            detail = str(exc).strip()
            return kind(f"device: {hint}" + (f" [{type(exc).__name__}: {detail}]" if detail else ""))
    return TargetError(f"device: {type(exc).__name__}: {exc}")


def _require() -> None:
    try:
        import pymobiledevice3  # noqa: F401
    except ImportError:
        raise TargetUnavailable(f"the device target needs pymobiledevice3: {INSTALL_HINT}") from None


class _Loop:
    """An asyncio loop in a daemon thread; every wait on it is bounded."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="iosmem-device", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30.0, what: str = "the device") -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TargetError(f"{what} did not answer within {timeout:g}s") from None
        except TargetError:
            raise
        except AssertionError:
            raise
        except Exception as exc:  # pymobiledevice3 raises many kinds
            raise translate(exc) from exc

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self, timeout: float = 3.0) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
        if not self.thread.is_alive():
            self.loop.close()


async def _tunnel_provider(udid: str | None, address: tuple[str, int] = TUNNELD_DEFAULT) -> Any | None:
    """The RSD of the device from a running tunneld, None when tunneld serves none (or does not run)."""
    from pymobiledevice3.exceptions import TunneldConnectionError
    from pymobiledevice3.tunneld.api import get_tunneld_device_by_udid, get_tunneld_devices

    try:
        if udid:
            return await get_tunneld_device_by_udid(udid, tunneld_address=address)
        rsds = await get_tunneld_devices(tunneld_address=address)
    except TunneldConnectionError:
        return None
    except IndexError:  # older releases: tunneld lists the device but none of its tunnels connected
        return None
    if len(rsds) > 1:
        ids = ", ".join(f"{r.udid} ({r.product_type})" for r in rsds)
        for r in rsds:
            await r.close()
        raise TargetUnavailable(f"device: tunneld serves several devices, choose one with --iosmem-device-udid: {ids}")
    return rsds[0] if rsds else None


def _major(version: object) -> int | None:
    head = str(version or "").split(".")[0]
    return int(head) if head.isdigit() else None


async def _connect_provider(udid: str | None, rsd: tuple[str, int] | None,
                            tunneld: tuple[str, int]) -> tuple[Any, Any, str]:
    """(service provider, tunnel to close after it or None, how it was reached), in pymobiledevice3's order."""
    if rsd is not None:
        from pymobiledevice3.remote.remote_service_discovery import RemoteServiceDiscoveryService

        provider = RemoteServiceDiscoveryService(rsd)
        try:
            await provider.connect()
        except (OSError, ConnectionError, asyncio.TimeoutError) as exc:
            raise TargetUnavailable(
                f"device: nothing answers at --iosmem-device-rsd '{rsd[0]} {rsd[1]}' ({type(exc).__name__}: {exc}): "
                f"is the tunnel that printed it still running? {NO_TUNNEL_HINT}") from None
        return provider, None, f"the tunnel at --iosmem-device-rsd '{rsd[0]} {rsd[1]}'"
    provider = await _tunnel_provider(udid, tunneld)
    if provider is not None:
        return provider, None, f"tunneld at {tunneld[0]}:{tunneld[1]}"
    from pymobiledevice3.lockdown import create_using_usbmux

    lockdown = await create_using_usbmux(serial=udid)
    version = getattr(lockdown, "product_version", None)
    major = _major(version)
    if major is None or major < 17:
        return lockdown, None, "lockdown over usbmux"
    serial = udid or getattr(lockdown, "udid", None)
    await lockdown.close()
    from pymobiledevice3.remote.rsd_tunnel import PreferredRsdTunnel

    tunnel = PreferredRsdTunnel(serial=serial)
    try:
        return await tunnel.aopen(), tunnel, "an in-process tunnel (no root)"
    except Exception as exc:
        try:
            await tunnel.aclose()
        except Exception:  # noqa: BLE001 - the reason to report is the open's
            pass
        raise TargetUnavailable(
            f"device: iOS {version} is reached through a RemoteXPC tunnel; no tunneld serves it at "
            f"{tunneld[0]}:{tunneld[1]} and the in-process tunnel did not open ({type(exc).__name__}: {exc}); "
            f"{NO_TUNNEL_HINT}") from exc


async def _open(udid: str | None, rsd: tuple[str, int] | None = None,
                tunneld: tuple[str, int] = TUNNELD_DEFAULT) -> tuple[Any, Any, Any, str]:
    """(service provider, connected DvtProvider, tunnel or None, route) through the first route that works."""
    from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider

    provider, tunnel, route = await _connect_provider(udid, rsd, tunneld)
    dvt = DvtProvider(provider)
    try:
        await dvt.__aenter__()
    except Exception as exc:
        version = getattr(provider, "product_version", None)
        await provider.close()
        if tunnel is not None:
            await tunnel.aclose()
        over_lockdown = not hasattr(provider, "peer_info")
        if over_lockdown and (_major(version) or 0) >= 17:
            raise TargetUnavailable(
                f"device: iOS {version} reaches Instruments through a RemoteXPC tunnel only: {NO_TUNNEL_HINT} "
                f"[{type(exc).__name__}: {exc}]"
            ) from exc
        raise
    return provider, dvt, tunnel, route


class PymobiledeviceSession:
    """:class:`~pytest_iosmem.targets.device_session.DeviceSession` on pymobiledevice3."""

    def __init__(self, udid: str | None, connect_timeout: float = 60.0, rsd: tuple[str, int] | None = None,
                 tunneld: tuple[str, int] = TUNNELD_DEFAULT) -> None:
        _require()
        self._loop = _Loop()
        self._tasks: list[concurrent.futures.Future] = []
        self._pc: Any = None
        try:
            self._provider, self._dvt, self._tunnel, self.route = self._loop.run(
                _open(udid, rsd, tunneld), connect_timeout, "connecting to the device")
        except BaseException:
            self._loop.stop()
            raise

    def info(self) -> dict[str, str]:
        values = getattr(self._provider, "all_values", None) or {}
        keys = ("ProductType", "ProductVersion", "DeviceName", "UniqueDeviceID", "DeviceClass")
        out = {k: str(values[k]) for k in keys if values.get(k) is not None}
        out.setdefault("ProductType", str(getattr(self._provider, "product_type", None) or "unknown"))
        out.setdefault("ProductVersion", str(getattr(self._provider, "product_version", None) or "?"))
        udid = getattr(self._provider, "udid", None)
        if udid:
            out.setdefault("UniqueDeviceID", str(udid))
        return out

    async def _process_control(self) -> Any:
        """One process-control channel for the session (opening one per call costs a round trip)."""
        if self._pc is None:
            from pymobiledevice3.services.dvt.instruments.process_control import ProcessControl

            pc = ProcessControl(self._dvt)
            await pc.connect()
            self._pc = pc
        return self._pc

    def launch(self, bundle_id: str, args: Sequence[str], env: Mapping[str, str]) -> int:
        async def go() -> int:
            pc = await self._process_control()
            return int(await pc.launch(bundle_id, arguments=list(args), environment=dict(env), kill_existing=True))

        try:
            return self._loop.run(go(), 60, f"launching {bundle_id}")
        except AssertionError:  # pymobiledevice3 asserts on a zero pid
            raise TargetError(f"device: {bundle_id} did not start (is it installed and signed for this device?)") from None

    def kill(self, pid: int) -> None:
        async def go() -> None:
            await (await self._process_control()).kill(pid)

        self._loop.run(go(), 10, f"killing pid {pid}")

    def pid_for_bundle(self, bundle_id: str) -> int:
        async def go() -> int:
            return int(await (await self._process_control()).process_identifier_for_bundle_identifier(bundle_id) or 0)

        return self._loop.run(go(), 10)

    def start_sysmon(self, interval_ms: int, on_sample: Callable[[Sequence[str], Any], None],
                     on_error: Callable[[str], None]) -> None:
        from pymobiledevice3.services.dvt.instruments.device_info import DeviceInfo
        from pymobiledevice3.services.dvt.instruments.sysmontap import Sysmontap

        async def stream() -> None:
            try:
                async with DeviceInfo(self._dvt) as device_info:
                    offered = set(await device_info.sysmon_process_attributes())
                    system = list(await device_info.sysmon_system_attributes())
                missing = {"pid", "physFootprint"} - offered
                if missing:
                    raise TargetError(f"device: sysmontap offers no {', '.join(sorted(missing))} on this device")
                attributes = [a for a in PROC_ATTRIBUTES if a in offered]
                async with Sysmontap(self._dvt, attributes, system, interval_ms=interval_ms) as tap:
                    async for message in tap:
                        on_sample(attributes, message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # reported to the target: reads fail with this reason
                on_error(str(translate(exc)))

        self._tasks.append(self._loop.spawn(stream()))

    def start_notifications(self, on_event: Callable[[Any], None], on_error: Callable[[str], None]) -> None:
        from pymobiledevice3.services.dvt.instruments.notifications import Notifications

        async def stream() -> None:
            try:
                async with Notifications(self._dvt) as notifications:
                    async for payload in notifications:
                        on_event(payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                on_error(f"memory notifications stopped: {translate(exc)}")

        self._tasks.append(self._loop.spawn(stream()))

    def memory_graph(self, pid: int) -> MemoryGraph:
        from pymobiledevice3.services.dvt.instruments.leaks import Leaks

        async def go() -> MemoryGraph:
            async with Leaks(self._dvt) as leaks:
                graph = await leaks.memory_graph(pid)
            return MemoryGraph(graph.data, int(graph.leaked_count))

        return self._loop.run(go(), 180, f"capturing the memory graph of pid {pid}")

    def send_memory_warning(self, pid: int) -> None:
        """EXPERIMENTAL: ``sendProcessControlEvent:toPid:`` with ``{"PCEventType": "MemoryEvent"}``.

        Decompiled Instruments builds show this process-control selector
        ending in the kernel's targeted memory-pressure notification for the
        pid.  pymobiledevice3 has no wrapper for it, so it is sent as a raw
        DTX invocation on the process-control channel, the pid passed like
        ``sendSignal:toPid:`` passes it.  Not yet shown on a device: the
        ``device``-marked test checks for a memory notification afterwards.
        """

        async def go() -> Any:
            pc = await self._process_control()
            return await pc.service.invoke("sendProcessControlEvent:toPid:", {"PCEventType": "MemoryEvent"}, pid)

        try:
            self._loop.run(go(), 10, "the experimental memory warning")
        except TargetError as exc:
            raise NotSupported(f"the experimental memory warning failed on this device: {exc}") from None

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()

        async def teardown() -> None:
            await asyncio.sleep(0)  # let the cancelled streams run their exits (tap stop, notifications off)
            try:
                await asyncio.wait_for(self._dvt.__aexit__(None, None, None), 3)
            finally:
                try:
                    await asyncio.wait_for(self._provider.close(), 2)
                finally:
                    if self._tunnel is not None:  # the in-process tunnel outlives the RSD on it
                        await asyncio.wait_for(self._tunnel.aclose(), 2)

        try:
            self._loop.run(teardown(), 6, "disconnecting")
        except Exception:  # noqa: BLE001 - closing must not fail a test run
            pass
        finally:
            self._loop.stop()


def connect(udid: str | None, rsd: tuple[str, int] | None = None,
            tunneld: tuple[str, int] = TUNNELD_DEFAULT) -> PymobiledeviceSession:
    """A session on the device ``udid``, or on the only connected device (routes: :func:`_connect_provider`)."""
    _require()
    if rsd is not None:  # the tunnel the user started names its device
        return PymobiledeviceSession(udid, rsd=rsd, tunneld=tunneld)
    if udid is None:
        devices = list_devices(details=False)
        if len(devices) > 1:
            ids = ", ".join(f"{d['UniqueDeviceID']} ({d.get('ConnectionType', '?')})" for d in devices)
            raise TargetUnavailable(
                f"device: several devices are connected, choose one with --iosmem-device-udid: {ids}"
            )
        if devices:
            udid = devices[0]["UniqueDeviceID"]
        # none on usbmux: a tunnel (tunneld, possibly remote) may still serve one
    return PymobiledeviceSession(udid, tunneld=tunneld)


def list_devices(details: bool = True) -> list[dict[str, str]]:
    """Devices usbmuxd sees, one per UDID (USB preferred over Wi-Fi).

    With ``details``, each is asked for its name, model and iOS version
    through lockdown without pairing (a device that does not answer keeps
    only its UDID): for ``iosmem devices``.
    """
    _require()
    from pymobiledevice3 import usbmux

    loop = _Loop()
    try:
        found = loop.run(usbmux.list_devices(), 10, "usbmuxd")
        by_udid: dict[str, Any] = {}
        for d in found:
            if d.serial not in by_udid or d.connection_type == "USB":
                by_udid[d.serial] = d
        rows = []
        for serial, d in by_udid.items():
            row = {"UniqueDeviceID": serial, "ConnectionType": str(d.connection_type)}
            if details:
                row.update(_lockdown_values(loop, serial))
            rows.append(row)
        return rows
    finally:
        loop.stop()


def _lockdown_values(loop: _Loop, serial: str) -> dict[str, str]:
    from pymobiledevice3.lockdown import create_using_usbmux

    async def go() -> dict[str, str]:
        lockdown = await create_using_usbmux(serial=serial, autopair=False)
        try:
            values = lockdown.all_values or {}
            return {k: str(values[k]) for k in ("DeviceName", "ProductType", "ProductVersion") if k in values}
        finally:
            await lockdown.close()

    try:
        return loop.run(go(), 10, "lockdown")
    except TargetError:
        return {}


# -- for `iosmem doctor` ------------------------------------------------------------------------------
@dataclass
class DeviceFacts:
    """What ``iosmem doctor`` asks a device, each answer None when it could not be asked, with the reason.

    Filled by :func:`doctor_probe`; tests build it directly (the doctor's seam, as
    :class:`PymobiledeviceSession` is the target's).
    """

    version: str | None = None  # pymobiledevice3's version; None: not importable
    import_problem: str = ""
    connected: list[str] = field(default_factory=list)  # UDIDs usbmuxd sees
    list_problem: str = ""
    udid: str | None = None
    product_type: str | None = None
    product_version: str | None = None
    device_name: str | None = None
    paired: bool | None = None
    pair_problem: str = ""
    developer_mode: bool | None = None
    developer_mode_problem: str = ""
    ddi_mounted: bool | None = None
    ddi_problem: str = ""
    route: str | None = None  # how the target's own connection reached the device, DVT open
    route_problem: str = ""
    sysmon_rows: int | None = None  # processes in the first sysmontap sample; None: none read
    sysmon_problem: str = ""
    get_task_allow: bool | None = None  # the app's entitlement (--app), from installation_proxy
    get_task_allow_problem: str = ""


def _version_of_pymobiledevice3() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pymobiledevice3")
    except PackageNotFoundError:
        import pymobiledevice3

        return str(getattr(pymobiledevice3, "__version__", "unknown"))


def doctor_probe(udid: str | None, timeout: float = 15.0, rsd: tuple[str, int] | None = None,
                 tunneld: tuple[str, int] = TUNNELD_DEFAULT, app: str | None = None) -> DeviceFacts:
    """Ask the device (``udid``, or the only one connected) what the doctor checks; never raises.

    Lockdown over usbmux without pairing first (``autopair=False``: the doctor
    reports an untrusted device instead of raising the trust dialog): product
    type and version, paired or not; when paired, Developer Mode
    (``get_developer_mode_status``), whether the developer disk image is
    mounted (``Personalized`` on iOS 17+, ``Developer`` before) and, with
    ``app``, its ``get-task-allow`` entitlement (installation_proxy); then the
    target's own connection (:class:`PymobiledeviceSession`: the same routes,
    DVT opened) and one sysmontap sample read through it.
    """
    facts = DeviceFacts()
    try:
        import pymobiledevice3  # noqa: F401
    except ImportError as exc:
        facts.import_problem = str(exc)
        return facts
    facts.version = _version_of_pymobiledevice3()
    from pymobiledevice3 import usbmux

    loop = _Loop()
    try:
        try:
            found = loop.run(usbmux.list_devices(), timeout, "usbmuxd")
        except TargetError as exc:
            facts.list_problem = str(exc)
            return facts
        facts.connected = sorted({d.serial for d in found})
        if udid is None and len(facts.connected) == 1:
            udid = facts.connected[0]
        facts.udid = udid
        if udid is None and rsd is None:
            return facts
        if udid is not None:
            _probe_lockdown(loop, facts, udid, timeout, app)
    finally:
        loop.stop()
    if facts.paired is False or facts.pair_problem:
        return facts
    _probe_session(facts, udid, rsd, tunneld, timeout)
    return facts


def _probe_session(facts: DeviceFacts, udid: str | None, rsd: tuple[str, int] | None,
                   tunneld: tuple[str, int], timeout: float) -> None:
    """Open the target's connection and wait for one sysmontap sample (bounded by ``timeout``)."""
    try:
        session = PymobiledeviceSession(udid, connect_timeout=timeout, rsd=rsd, tunneld=tunneld)
    except TargetError as exc:
        facts.route_problem = str(exc)
        return
    facts.route = session.route
    got = threading.Event()
    rows: list[int] = []
    errors: list[str] = []

    def on_sample(attributes: Sequence[str], message: Any) -> None:
        processes = message.get("Processes") if isinstance(message, Mapping) else None
        if processes:
            rows.append(len(processes))
            got.set()

    def on_error(message: str) -> None:
        errors.append(message)
        got.set()

    try:
        session.start_sysmon(500, on_sample, on_error)
        if not got.wait(timeout):
            facts.sysmon_problem = f"no sysmontap sample within {timeout:g}s"
        elif rows:
            facts.sysmon_rows = rows[0]
        else:
            facts.sysmon_problem = errors[0]
    finally:
        session.close()


def _probe_entitlement(loop: _Loop, facts: DeviceFacts, lockdown: Any, app: str, timeout: float) -> None:
    """The app's ``get-task-allow`` entitlement, as installation_proxy reports its ``Entitlements``."""
    try:
        from pymobiledevice3.services.installation_proxy import InstallationProxyService

        apps = loop.run(InstallationProxyService(lockdown=lockdown).get_apps(bundle_identifiers=[app]), timeout,
                        "installation_proxy")
    except Exception as exc:  # noqa: BLE001 - an answer the doctor reports
        facts.get_task_allow_problem = str(translate(exc))
        return
    info = (apps or {}).get(app)
    if info is None:
        facts.get_task_allow_problem = f"{app} is not installed on the device"
        return
    entitlements = info.get("Entitlements")
    if not isinstance(entitlements, Mapping):
        facts.get_task_allow_problem = f"the device did not list {app}'s entitlements"
        return
    facts.get_task_allow = bool(entitlements.get("get-task-allow"))


def _probe_lockdown(loop: _Loop, facts: DeviceFacts, udid: str, timeout: float, app: str | None = None) -> None:
    from pymobiledevice3.lockdown import create_using_usbmux

    try:
        lockdown = loop.run(create_using_usbmux(serial=udid, autopair=False), timeout, "lockdown")
    except TargetError as exc:
        facts.pair_problem = str(exc)
        return
    try:
        values = getattr(lockdown, "all_values", None) or {}
        facts.product_type = str(values.get("ProductType") or getattr(lockdown, "product_type", "") or "") or None
        facts.product_version = str(values.get("ProductVersion") or getattr(lockdown, "product_version", "") or "") \
            or None
        facts.device_name = str(values.get("DeviceName") or "") or None
        facts.paired = bool(getattr(lockdown, "paired", False))
        if not facts.paired:
            return
        try:
            facts.developer_mode = bool(loop.run(lockdown.get_developer_mode_status(), timeout, "amfi"))
        except Exception as exc:  # noqa: BLE001 - an answer the doctor reports, whatever its kind
            facts.developer_mode_problem = str(translate(exc))
        kind = "Personalized" if (_major(facts.product_version) or 0) >= 17 else "Developer"
        try:
            from pymobiledevice3.services.mobile_image_mounter import MobileImageMounterService

            mounter = MobileImageMounterService(lockdown=lockdown)
            facts.ddi_mounted = bool(loop.run(mounter.is_image_mounted(kind), timeout, "the image mounter"))
        except Exception as exc:  # noqa: BLE001
            facts.ddi_problem = str(translate(exc))
        if app:
            _probe_entitlement(loop, facts, lockdown, app, timeout)
    finally:
        try:
            loop.run(lockdown.close(), 5, "lockdown")
        except Exception:  # noqa: BLE001 - closing must not hide the answers
            pass
