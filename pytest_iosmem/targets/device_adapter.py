"""The only module that imports pymobiledevice3: the seam behind the device target.

It implements :class:`pytest_iosmem.targets.device.DeviceSession` on
pymobiledevice3 (11.x, asyncio): one event loop in a daemon thread, every
call bounded by a timeout, the sysmontap and notification streams as tasks on
that loop that push into callbacks, and pymobiledevice3's errors turned into
ours with the command that fixes them.  Connection: the RemoteXPC tunnel
(tunneld) for iOS 17 and later, usbmux/lockdown for older iOS.

Nothing here runs without a device; the logic above it is tested at the
seam with recorded rows (tests/test_device.py), and the ``device``-marked
test drives this module against a real device when one is connected.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable, Mapping, Sequence

from ..errors import NotSupported, TargetError, TargetUnavailable

__all__ = ["connect", "list_devices", "PymobiledeviceSession"]

INSTALL_HINT = "pip install 'pytest-iosmem[device]'"
TUNNELD_HINT = "sudo python3 -m pymobiledevice3 remote tunneld"


def _require():
    try:
        import pymobiledevice3  # noqa: F401
    except ImportError:
        raise TargetUnavailable(f"the device target needs pymobiledevice3: {INSTALL_HINT}") from None


def _translate(exc: BaseException) -> TargetError:
    """pymobiledevice3's exceptions as our errors, each saying what to do."""
    name = type(exc).__name__
    hints = {
        "NoDeviceConnectedError": "no device is connected (plug it in and unlock it, then: iosmem devices)",
        "NotPairedError": "the device is not paired with this host: unlock it and accept 'Trust This Computer'",
        "PairingError": "pairing failed: unlock the device and accept 'Trust This Computer'",
        "UserDeniedPairingError": "the device refused to trust this host: accept 'Trust This Computer'",
        "PasswordRequiredError": "the device is locked: unlock it and try again",
        "DeveloperModeIsNotEnabledError": "Developer Mode is off: Settings > Privacy & Security > Developer Mode",
        "DeveloperModeError": "Developer Mode is off: Settings > Privacy & Security > Developer Mode",
        "InvalidServiceError": "the developer services are not running: mount the developer disk image "
        "(python3 -m pymobiledevice3 mounter auto-mount)",
        "TunneldConnectionError": f"no tunnel to the device (iOS 17 and later need one): {TUNNELD_HINT}",
    }
    return TargetError(f"device: {hints.get(name, f'{name}: {exc}')}")


class _Loop:
    """An asyncio loop in a daemon thread; ``run`` waits for a coroutine, bounded."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="iosmem-device", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 30.0):
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise TargetError(f"the device did not answer within {timeout:g}s") from None
        except TargetError:
            raise
        except Exception as exc:  # pymobiledevice3 raises many kinds
            raise _translate(exc) from exc

    def spawn(self, coro) -> "asyncio.Future":
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self, timeout: float = 3.0) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)


async def _service_provider(udid: str | None):
    """iOS 17+: a tunnel from tunneld; older iOS: usbmux/lockdown."""
    from pymobiledevice3.lockdown import create_using_usbmux

    try:
        from pymobiledevice3.tunneld.api import get_tunneld_devices

        rsds = await get_tunneld_devices()
    except Exception:  # tunneld not running: fine for iOS < 17
        rsds = []
    for rsd in rsds:
        if udid is None or getattr(rsd, "udid", None) == udid:
            return rsd
    lockdown = await create_using_usbmux(serial=udid)
    version = str(getattr(lockdown, "product_version", "0")).split(".")[0]
    if version.isdigit() and int(version) >= 17:
        raise TargetError(f"device: iOS {lockdown.product_version} needs the RemoteXPC tunnel: {TUNNELD_HINT}")
    return lockdown


class PymobiledeviceSession:
    """DeviceSession on pymobiledevice3 (see the module docstring)."""

    def __init__(self, udid: str | None) -> None:
        _require()
        self._loop = _Loop()
        self._tasks: list = []
        try:
            self._provider = self._loop.run(_service_provider(udid))
            self._dvt = self._loop.run(self._open_dvt())
        except BaseException:
            self._loop.stop()
            raise

    async def _open_dvt(self):
        from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider

        dvt = DvtProvider(self._provider)
        await dvt.__aenter__()
        return dvt

    def info(self) -> dict[str, str]:
        values = getattr(self._provider, "all_values", None) or {}
        keys = ("ProductType", "ProductVersion", "DeviceName", "UniqueDeviceID", "DeviceClass")
        out = {k: str(values[k]) for k in keys if k in values}
        out.setdefault("ProductType", str(getattr(self._provider, "product_type", "unknown")))
        out.setdefault("ProductVersion", str(getattr(self._provider, "product_version", "?")))
        return out

    async def _process_control(self, fn):
        from pymobiledevice3.services.dvt.instruments.process_control import ProcessControl

        async with ProcessControl(self._dvt) as pc:
            return await fn(pc)

    def launch(self, bundle_id: str, args: Sequence[str], env: Mapping[str, str]) -> int:
        return int(self._loop.run(self._process_control(
            lambda pc: pc.launch(bundle_id, arguments=list(args), environment=dict(env), kill_existing=True))))

    def kill(self, pid: int) -> None:
        self._loop.run(self._process_control(lambda pc: pc.kill(pid)))

    def pid_for_bundle(self, bundle_id: str) -> int:
        return int(self._loop.run(self._process_control(lambda pc: pc.process_identifier_for_bundle_identifier(bundle_id))))

    def start_sysmon(self, interval_ms: int, on_sample: Callable[[Sequence[str], Mapping[str, Any]], None]) -> None:
        async def stream():
            from pymobiledevice3.services.dvt.instruments.sysmontap import Sysmontap

            tap = await Sysmontap.create(self._dvt, interval=interval_ms)
            async with tap:
                async for processes in tap.iter_processes():
                    on_sample(["physFootprint"], {str(p.get("pid")): p for p in processes})

        self._tasks.append(self._loop.spawn(stream()))

    def start_notifications(self, on_event: Callable[[Any], None]) -> None:
        async def stream():
            from pymobiledevice3.services.dvt.instruments.notifications import Notifications

            async with Notifications(self._dvt) as notifications:
                async for payload in notifications:
                    on_event(payload)

        self._tasks.append(self._loop.spawn(stream()))

    def send_memory_warning(self, pid: int) -> None:
        """EXPERIMENTAL: Instruments' process-control event ``{"PCEventType": "MemoryEvent"}``.

        Decompiled Instruments builds show ``sendProcessControlEvent:toPid:`` ending in the
        kernel's targeted memory-pressure notification for that pid; not yet shown on a device.
        """
        from pymobiledevice3.dtx import dtx_method
        from pymobiledevice3.dtx_service import DtxService
        from pymobiledevice3.services.dvt.instruments.process_control import ProcessControlService

        class _EventService(ProcessControlService):
            @dtx_method("sendProcessControlEvent:toPid:")
            async def send_process_control_event_to_pid_(self, event: dict, pid: int) -> Any: ...

        class _Events(DtxService[_EventService]):
            pass

        async def send():
            async with _Events(self._dvt) as events:
                return await events.service.send_process_control_event_to_pid_({"PCEventType": "MemoryEvent"}, pid)

        try:
            self._loop.run(send(), timeout=10)
        except TargetError as exc:
            raise NotSupported(f"the experimental memory warning failed on this device: {exc}") from None

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        try:
            self._loop.run(self._dvt.__aexit__(None, None, None), timeout=5)
        except TargetError:
            pass
        finally:
            self._loop.stop()


def connect(udid: str | None) -> PymobiledeviceSession:
    if udid is None:
        devices = list_devices()
        if not devices:
            raise TargetError("device: no device is connected (plug it in, unlock it, trust this computer)")
        if len(devices) > 1:
            ids = ", ".join(f"{d.get('UniqueDeviceID')} ({d.get('DeviceName', '?')})" for d in devices)
            raise TargetError(f"device: several devices are connected, choose one with --iosmem-device-udid: {ids}")
        udid = devices[0].get("UniqueDeviceID")
    return PymobiledeviceSession(udid)


def list_devices() -> list[dict[str, str]]:
    """Connected devices (usbmux), for ``iosmem devices`` and for picking the only one."""
    _require()
    from pymobiledevice3 import usbmux

    loop = _Loop()
    try:
        devices = loop.run(usbmux.list_devices(), timeout=10)
    finally:
        loop.stop()
    return [{"UniqueDeviceID": d.serial, "ConnectionType": str(getattr(d, "connection_type", ""))} for d in devices]
