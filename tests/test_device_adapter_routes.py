"""The device adapter's four routes to a device, at the pymobiledevice3 seam, with the newest release installed.

pymobiledevice3's own code runs wherever it can without a device: its
``tunneld`` client against a stand-in tunneld (``FakeTunneld``: the HTTP
``GET /`` listing tunneld serves, ``{udid: [{"tunnel-address", "tunnel-port",
"interface"}]}``), its ``RemoteServiceDiscoveryService`` against a port
nothing listens on.  Where a device would have to answer, a stand-in takes
pymobiledevice3's public name and says what it stands for:

- ``create_using_usbmux`` -> ``Lockdown``: lockdown over usbmux on a device of
  a given iOS version (``product_version``, ``udid``, ``close``);
- ``PreferredRsdTunnel``: pymobiledevice3's in-process no-root tunnel
  (``aopen`` returns the device's RSD, ``aclose`` tears the tunnel down);
- ``get_tunneld_device_by_udid`` -> an RSD: a tunneld serving the device;
- ``DvtProvider``: Instruments (DTX) over whichever provider was reached.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest.importorskip("pymobiledevice3")

from pytest_iosmem.errors import TargetUnavailable  # noqa: E402
from pytest_iosmem.targets import device_adapter  # noqa: E402

UDID = "00008110-000A11223344801E"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lockdown:
    """Stands for lockdown over usbmux on a device running ``version``."""

    def __init__(self, version: str) -> None:
        self.product_version, self.udid, self.closed = version, UDID, False
        self.all_values = {"ProductType": "iPhone16,1", "ProductVersion": version, "UniqueDeviceID": UDID}

    async def close(self) -> None:
        self.closed = True


class Rsd:
    """Stands for a connected RemoteServiceDiscoveryService (it has ``peer_info``, as the real one does)."""

    def __init__(self, version: str = "26.1") -> None:
        self.product_version, self.udid, self.peer_info, self.closed = version, UDID, {}, False

    async def close(self) -> None:
        self.closed = True


class Dvt:
    """Stands for DvtProvider: Instruments over the provider it is given."""

    made: list["Dvt"] = []

    def __init__(self, provider) -> None:
        self.provider, self.open = provider, False
        Dvt.made.append(self)

    async def __aenter__(self):
        self.open = True
        return self

    async def __aexit__(self, *exc) -> None:
        self.open = False


class Tunnel:
    """Stands for PreferredRsdTunnel(serial=...): ``fail`` makes aopen raise as pymobiledevice3 does."""

    made: list["Tunnel"] = []
    fail: BaseException | None = None

    def __init__(self, serial=None, autopair=True, prefer_native=False) -> None:
        self.serial, self.rsd, self.closed = serial, None, False
        Tunnel.made.append(self)

    async def aopen(self):
        if Tunnel.fail is not None:
            raise Tunnel.fail
        self.rsd = Rsd()
        return self.rsd

    async def aclose(self) -> None:
        self.closed = True


class FakeTunneld:
    """Stands for a running ``pymobiledevice3 remote tunneld``: its HTTP listing of tunnels."""

    def __init__(self, tunnels: dict) -> None:
        body = json.dumps(tunnels).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = ("127.0.0.1", self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def device(monkeypatch):
    """A device of a chosen iOS version behind lockdown; tunneld nowhere unless a test starts one."""
    import pymobiledevice3.lockdown
    import pymobiledevice3.remote.rsd_tunnel
    import pymobiledevice3.services.dvt.instruments.dvt_provider

    state = {"version": "26.1", "lockdowns": []}

    async def create_using_usbmux(serial=None, autopair=True, **kwargs):
        lockdown = Lockdown(state["version"])
        state["lockdowns"].append((serial, lockdown))
        return lockdown

    Dvt.made, Tunnel.made, Tunnel.fail = [], [], None
    monkeypatch.setattr(pymobiledevice3.lockdown, "create_using_usbmux", create_using_usbmux)
    monkeypatch.setattr(pymobiledevice3.remote.rsd_tunnel, "PreferredRsdTunnel", Tunnel)
    monkeypatch.setattr(pymobiledevice3.services.dvt.instruments.dvt_provider, "DvtProvider", Dvt)
    state["no_tunneld"] = ("127.0.0.1", free_port())  # nothing listens there
    return state


def test_the_stand_ins_have_the_shape_of_the_names_they_replace():
    import inspect

    from pymobiledevice3.remote.rsd_tunnel import PreferredRsdTunnel

    assert set(inspect.signature(PreferredRsdTunnel.__init__).parameters) >= {"serial", "autopair"}
    assert inspect.iscoroutinefunction(PreferredRsdTunnel.aopen) and inspect.iscoroutinefunction(
        PreferredRsdTunnel.aclose)
    from pymobiledevice3.tunneld.api import get_tunneld_device_by_udid, get_tunneld_devices

    for fn in (get_tunneld_device_by_udid, get_tunneld_devices):
        assert "tunneld_address" in inspect.signature(fn).parameters


def test_ios17_and_later_without_tunneld_get_an_in_process_tunnel_and_no_root(device):
    session = device_adapter.PymobiledeviceSession(UDID, tunneld=device["no_tunneld"])
    assert session.route == "an in-process tunnel (no root)"
    (tunnel,) = Tunnel.made
    assert tunnel.serial == UDID and Dvt.made[-1].provider is tunnel.rsd and Dvt.made[-1].open
    (_, lockdown), = device["lockdowns"]
    assert lockdown.closed  # asked for the iOS version only
    session.close()
    assert tunnel.rsd.closed and tunnel.closed  # the tunnel is torn down after the RSD on it


def test_ios16_goes_over_lockdown(device):
    device["version"] = "16.7.10"
    session = device_adapter.PymobiledeviceSession(UDID, tunneld=device["no_tunneld"])
    assert session.route == "lockdown over usbmux" and Tunnel.made == []
    (_, lockdown), = device["lockdowns"]
    assert Dvt.made[-1].provider is lockdown and not lockdown.closed
    session.close()
    assert lockdown.closed


def test_a_running_tunneld_is_asked_first_at_the_address_given(device, monkeypatch):
    import pymobiledevice3.tunneld.api

    asked = []
    rsd = Rsd()

    async def by_udid(udid, tunneld_address=("127.0.0.1", 49151), bridge=None):
        asked.append((udid, tunneld_address))
        return rsd

    monkeypatch.setattr(pymobiledevice3.tunneld.api, "get_tunneld_device_by_udid", by_udid)
    session = device_adapter.PymobiledeviceSession(UDID, tunneld=("10.0.0.5", 5555))
    assert session.route == "tunneld at 10.0.0.5:5555" and asked == [(UDID, ("10.0.0.5", 5555))]
    assert device["lockdowns"] == [] and Tunnel.made == [] and Dvt.made[-1].provider is rsd
    session.close()


def test_a_tunneld_whose_tunnel_is_dead_is_no_bare_index_error(device):
    # the real tunneld client: it lists the device, its tunnel does not answer, 11.45's by-udid call
    # then indexes an empty list; the adapter goes on to the in-process tunnel
    tunneld = FakeTunneld({UDID: [{"tunnel-address": "127.0.0.1", "tunnel-port": free_port(), "interface": "utun9"}]})
    try:
        session = device_adapter.PymobiledeviceSession(UDID, tunneld=tunneld.address)
    finally:
        tunneld.close()
    assert session.route == "an in-process tunnel (no root)"
    session.close()


def test_an_rsd_address_is_used_before_anything_else(device, monkeypatch):
    import pymobiledevice3.remote.remote_service_discovery as rsd_module

    made = []

    class StartedTunnelRsd(Rsd):
        """Stands for the RSD of a tunnel the user started (`remote start-tunnel` printed its address)."""

        def __init__(self, address, *args, **kwargs) -> None:
            super().__init__()
            made.append(address)

        async def connect(self) -> None:
            pass

    monkeypatch.setattr(rsd_module, "RemoteServiceDiscoveryService", StartedTunnelRsd)
    session = device_adapter.connect(None, rsd=("fd7b:e5b:6f53::1", 60107), tunneld=device["no_tunneld"])
    assert session.route == "the tunnel at --iosmem-device-rsd 'fd7b:e5b:6f53::1 60107'"
    assert made == [("fd7b:e5b:6f53::1", 60107)] and device["lockdowns"] == [] and Tunnel.made == []
    session.close()


def test_an_rsd_address_nothing_answers_at_says_what_to_run(device):
    # the real RemoteServiceDiscoveryService, against a port nothing listens on
    port = free_port()
    with pytest.raises(TargetUnavailable) as info:
        device_adapter.connect(None, rsd=("127.0.0.1", port), tunneld=device["no_tunneld"])
    said = str(info.value)
    assert f"nothing answers at --iosmem-device-rsd '127.0.0.1 {port}'" in said
    assert "remote start-tunnel --native" in said and "remote tunneld" in said


def test_no_route_to_an_ios17_device_names_what_to_run(device):
    from pymobiledevice3.exceptions import UserspaceTunnelUnavailableError

    device["version"] = "17.2"  # no CoreDeviceProxy: the user-space tunnel cannot serve it
    Tunnel.fail = UserspaceTunnelUnavailableError("iOS 17.0-17.3 has no CoreDeviceProxy")
    with pytest.raises(TargetUnavailable) as info:
        device_adapter.PymobiledeviceSession(UDID, tunneld=device["no_tunneld"])
    said = str(info.value)
    assert said.startswith("device: iOS 17.2 is reached through a RemoteXPC tunnel; no tunneld serves it at 127.0.0.1:")
    assert "UserspaceTunnelUnavailableError" in said and "start-tunnel --native" in said
    assert "sudo" in said and "remote tunneld" in said  # root only where pymobiledevice3 needs it
    assert Tunnel.made[0].closed and not isinstance(info.value.__cause__, IndexError)


def test_the_doctors_probe_reports_a_dead_rsd_as_the_connection_problem(tmp_path, monkeypatch):
    # the real probe down to a stand-in usbmuxd (no device attached) and the real RSD client
    from .test_device_adapter_pmd import FakeUsbmuxd

    mux = FakeUsbmuxd(str(tmp_path / "usbmuxd"))
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", mux.path)
    try:
        port = free_port()
        facts = device_adapter.doctor_probe(None, timeout=5, rsd=("127.0.0.1", port), tunneld=("127.0.0.1", free_port()))
    finally:
        mux.close()
    assert facts.connected == [] and facts.udid is None and facts.route is None
    assert f"nothing answers at --iosmem-device-rsd '127.0.0.1 {port}'" in facts.route_problem
    assert facts.sysmon_rows is None


def test_the_doctors_probe_reads_one_sysmontap_sample_through_the_session(device, monkeypatch):
    """doctor_probe's session step, with the session standing for a device whose sysmontap streams a row."""
    facts = device_adapter.DeviceFacts(paired=True)

    class StreamingSession:
        route = "an in-process tunnel (no root)"
        closed = False

        def __init__(self, *args, **kwargs):
            pass

        def start_sysmon(self, interval_ms, on_sample, on_error):
            on_sample(["pid", "physFootprint"], {"Processes": {"1": [1, 10], "351": [351, 20]}, "Type": 7})

        def close(self):
            StreamingSession.closed = True

    monkeypatch.setattr(device_adapter, "PymobiledeviceSession", StreamingSession)
    device_adapter._probe_session(facts, UDID, None, device["no_tunneld"], timeout=2)
    assert (facts.route, facts.sysmon_rows, facts.sysmon_problem) == ("an in-process tunnel (no root)", 2, "")
    assert StreamingSession.closed
