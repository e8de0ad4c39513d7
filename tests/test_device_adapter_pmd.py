"""The device adapter against the real pymobiledevice3 (installed by the test extra), with no device.

Two things a recording cannot show: that every pymobiledevice3 name the
adapter uses exists, with the shape the adapter calls it with, in the
version pyproject.toml admits; and that the adapter's own code runs down to
the socket and ends in the target's error that says what to do, not in an
ImportError or a raw pymobiledevice3 exception.

The one stand-in is ``FakeUsbmuxd``: it stands for the usbmuxd daemon (the
documented ``USBMUXD_SOCKET_ADDRESS`` socket pymobiledevice3 talks to),
speaking its plist protocol and reporting no device attached.  Everything
between the adapter and that socket is the real pymobiledevice3.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import plistlib
import socket
import struct
import threading
from pathlib import Path

import pytest

from pytest_iosmem.errors import TargetError, TargetUnavailable
from pytest_iosmem.targets import device_adapter

ADAPTER = Path(device_adapter.__file__)


def adapter_imports() -> list[tuple[str, str]]:
    """(module, name) of every ``from pymobiledevice3... import name`` in the adapter's source."""
    found = []
    for node in ast.walk(ast.parse(ADAPTER.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pymobiledevice3"):
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names if alias.name.startswith("pymobiledevice3")]
    return found


def test_the_adapter_imports_what_this_test_checks():
    names = {name for _, name in adapter_imports()}
    assert {"DvtProvider", "ProcessControl", "DeviceInfo", "Sysmontap", "Notifications", "Leaks",
            "create_using_usbmux", "get_tunneld_device_by_udid", "get_tunneld_devices",
            "TunneldConnectionError", "usbmux", "PreferredRsdTunnel", "RemoteServiceDiscoveryService"} <= names


@pytest.mark.parametrize("module, name", adapter_imports(), ids=lambda v: v)
def test_every_symbol_the_adapter_imports_exists(module, name):
    mod = importlib.import_module(module)
    if name and not hasattr(mod, name):  # `from pymobiledevice3 import usbmux`: a submodule, not yet imported
        importlib.import_module(f"{module}.{name}")
    if name:
        assert hasattr(mod, name), f"pymobiledevice3 has no {module}.{name}"


def test_the_calls_the_adapter_makes_have_that_shape():
    from pymobiledevice3 import usbmux
    from pymobiledevice3.lockdown import create_using_usbmux
    from pymobiledevice3.services.dvt.instruments.device_info import DeviceInfo
    from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider
    from pymobiledevice3.services.dvt.instruments.leaks import Leaks
    from pymobiledevice3.services.dvt.instruments.notifications import Notifications
    from pymobiledevice3.services.dvt.instruments.process_control import ProcessControl
    from pymobiledevice3.services.dvt.instruments.sysmontap import Sysmontap
    from pymobiledevice3.tunneld.api import get_tunneld_device_by_udid, get_tunneld_devices

    for fn in (usbmux.list_devices, create_using_usbmux, get_tunneld_device_by_udid, get_tunneld_devices):
        assert inspect.iscoroutinefunction(fn), fn  # awaited by the adapter
    assert {"serial", "autopair"} <= set(inspect.signature(create_using_usbmux).parameters)
    for cls in (DvtProvider, DeviceInfo, Sysmontap, Notifications, Leaks):
        assert hasattr(cls, "__aenter__") and hasattr(cls, "__aexit__"), cls  # async with
    assert hasattr(Sysmontap, "__aiter__") and hasattr(Notifications, "__aiter__")
    assert "interval_ms" in inspect.signature(Sysmontap.__init__).parameters
    for method in ("connect", "launch", "kill", "process_identifier_for_bundle_identifier"):
        assert inspect.iscoroutinefunction(getattr(ProcessControl, method)), method
    assert {"arguments", "environment", "kill_existing"} <= set(inspect.signature(ProcessControl.launch).parameters)
    for method in ("sysmon_process_attributes", "sysmon_system_attributes"):
        assert hasattr(DeviceInfo, method) or hasattr(DeviceInfo, "service"), method
    assert inspect.iscoroutinefunction(Leaks.memory_graph)
    graph_fields = {f.name for f in __import__("dataclasses").fields(
        importlib.import_module(Leaks.__module__).MemoryGraph)}
    assert {"data", "leaked_count"} <= graph_fields


def test_every_error_name_the_adapter_translates_is_a_pymobiledevice3_exception():
    exceptions = importlib.import_module("pymobiledevice3.exceptions")
    missing = [name for name in device_adapter._HINTS if not hasattr(exceptions, name)]
    assert missing == []


class FakeUsbmuxd:
    """Stands for usbmuxd with no device attached: its plist protocol on a UNIX socket.

    A packet is a little-endian header (length including the header, version,
    message type, tag) and, for version 1 / type 8, an XML plist.  It answers
    ``ReadBUID`` and ``ListDevices`` (an empty ``DeviceList``), and any other
    request with a ``Result`` of 2 (BadDevice), as usbmuxd does for an unknown device.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.requests: list[str] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    @staticmethod
    def _recv(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def _talk(self, conn: socket.socket) -> None:
        with conn:
            try:
                while True:
                    length, version, message, tag = struct.unpack("<IIII", self._recv(conn, 16))
                    body = plistlib.loads(self._recv(conn, length - 16)) if length > 16 else {}
                    kind = body.get("MessageType", "")
                    self.requests.append(kind)
                    if kind == "ReadBUID":
                        reply = {"BUID": "00000000-0000-0000-0000-000000000000"}
                    elif kind == "ListDevices":
                        reply = {"DeviceList": []}
                    else:
                        reply = {"MessageType": "Result", "Number": 2}
                    data = plistlib.dumps(reply)
                    conn.sendall(struct.pack("<IIII", 16 + len(data), 1, 8, tag) + data)
            except (ConnectionError, OSError, struct.error):
                return

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def no_device(tmp_path, monkeypatch):
    path = str(tmp_path / "usbmuxd")
    mux = FakeUsbmuxd(path)
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", path)
    # tunneld: its default address; nothing listens there on a CI machine (it is tried, then skipped)
    yield mux
    mux.close()


def test_no_device_connected_is_the_clear_no_device_error(no_device):
    with pytest.raises(TargetUnavailable, match="no device is connected: plug it in by USB and unlock it"):
        device_adapter.connect(None)
    assert "ListDevices" in no_device.requests  # the adapter's code reached the socket


def test_listing_no_devices_is_an_empty_list(no_device):
    assert device_adapter.list_devices() == []
    assert "ListDevices" in no_device.requests


def test_a_named_device_that_is_not_there_says_so(no_device):
    with pytest.raises(TargetError) as info:
        device_adapter.connect("00008110-000000000000001E")
    assert "device:" in str(info.value) and not isinstance(info.value.__cause__, ImportError)


def test_no_usbmuxd_at_all_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", str(tmp_path / "nothing-listens-here"))
    with pytest.raises(TargetUnavailable, match="usbmuxd is not running"):
        device_adapter.list_devices()


def test_the_device_target_reports_no_device_as_a_target_error(no_device):
    """Through the target factory, as ``--iosmem-target device`` does."""
    from pytest_iosmem.targets import TargetContext, create_target

    with pytest.raises(TargetUnavailable, match="no device is connected"):
        create_target("device", TargetContext(option={}.get))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX")
def test_importing_the_plugin_still_does_not_import_pymobiledevice3():
    import subprocess
    import sys

    code = ("import sys, pytest_iosmem.plugin, pytest_iosmem.targets.device; "
            "print(any(m.startswith('pymobiledevice3') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
