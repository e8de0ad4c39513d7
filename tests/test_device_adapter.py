"""The pymobiledevice3 adapter's own logic that runs without a device: errors, device choice, bounded waits."""

from __future__ import annotations

import asyncio
import builtins
import time

import pytest

from pytest_iosmem.errors import NotSupported, TargetError, TargetUnavailable
from pytest_iosmem.targets import device_adapter
from pytest_iosmem.targets.device_adapter import TUNNELD_HINT, _Loop, translate


def _named(name: str, base: type = Exception) -> type:
    return type(name, (base,), {})


@pytest.mark.parametrize(
    "name, kind, says",
    [
        ("NoDeviceConnectedError", TargetUnavailable, "no device is connected"),
        ("PasswordRequiredError", TargetUnavailable, "the device is locked"),
        ("UserDeniedPairingError", TargetUnavailable, "Trust This Computer"),
        ("DeveloperModeIsNotEnabledError", TargetUnavailable, "Developer Mode"),
        ("InvalidServiceError", TargetUnavailable, "mounter auto-mount"),
        ("TunneldConnectionError", TargetUnavailable, TUNNELD_HINT),
        ("RSDRequiredError", TargetUnavailable, TUNNELD_HINT),
        ("ProcessInspectionError", TargetError, "development-signed"),
    ],
)
def test_errors_say_what_to_do(name, kind, says):
    err = translate(_named(name)("detail from pymobiledevice3"))
    assert type(err) is kind and says in str(err) and "detail from pymobiledevice3" in str(err)


def test_subclasses_map_through_their_bases_and_unknown_errors_keep_their_text():
    Fatalish = _named("SomeNewPairingError", _named("PairingError"))
    assert "pairing with the device failed" in str(translate(Fatalish()))
    assert str(translate(ValueError("odd"))) == "device: ValueError: odd"
    ours = TargetError("already ours")
    assert translate(ours) is ours


def test_real_pymobiledevice3_exceptions_are_translated():
    from pymobiledevice3 import exceptions  # installed by the test extra: this runs in CI
    assert isinstance(translate(exceptions.NoDeviceConnectedError()), TargetUnavailable)
    assert "Trust" in str(translate(exceptions.PasswordRequiredError()))  # a PairingError subclass
    assert TUNNELD_HINT in str(translate(exceptions.TunneldConnectionError()))
    assert "Developer Mode" in str(translate(exceptions.DeveloperModeIsNotEnabledError()))


def test_without_pymobiledevice3_the_error_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_pmd(name, *a, **k):
        if name.startswith("pymobiledevice3"):
            raise ImportError(name)
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_pmd)
    for call in (device_adapter.list_devices, lambda: device_adapter.connect(None)):
        with pytest.raises(TargetUnavailable, match=r"-m pip install -e 'path/to/pytest-iosmem\[device\]' \(from a checkout"):
            call()


def test_several_devices_are_listed(monkeypatch):
    devices = [{"UniqueDeviceID": "00008110-AAA", "ConnectionType": "USB"},
               {"UniqueDeviceID": "00008030-BBB", "ConnectionType": "Network"}]
    monkeypatch.setattr(device_adapter, "list_devices", lambda details=True: devices)
    with pytest.raises(TargetUnavailable, match="several devices.*--iosmem-device-udid: 00008110-AAA \\(USB\\), "
                                                "00008030-BBB \\(Network\\)"):
        device_adapter.connect(None)


def test_the_loop_never_waits_longer_than_asked():
    loop = _Loop()
    try:
        start = time.monotonic()
        with pytest.raises(TargetError, match="did not answer within 0.2s"):
            loop.run(asyncio.sleep(60), timeout=0.2)
        assert time.monotonic() - start < 2
        assert loop.run(asyncio.sleep(0, result=7), timeout=2) == 7
        NotMounted = _named("NotMountedError")

        async def fails():
            raise NotMounted("no image")

        with pytest.raises(TargetUnavailable, match="not mounted"):
            loop.run(fails())
    finally:
        start = time.monotonic()
        loop.stop(timeout=2)
        assert time.monotonic() - start < 2.5 and not loop.thread.is_alive()


def test_experimental_warning_failure_is_not_supported():
    session = object.__new__(device_adapter.PymobiledeviceSession)  # no device: only the error path
    session._loop = _Loop()
    session._pc = None

    async def refuse():
        raise _named("UnrecognizedSelectorError")("sendProcessControlEvent:toPid:")

    session._process_control = refuse
    try:
        with pytest.raises(NotSupported, match="experimental memory warning failed.*does not know this Instruments call"):
            session.send_memory_warning(42)
    finally:
        session._loop.stop()
