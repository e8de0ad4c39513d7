"""The device target's logic at its seam (DeviceSession), driven by recorded data.

``RecordedSession`` stands for a connected device (pymobiledevice3 behind
pytest_iosmem/targets/device_adapter.py).  It hands the target what the
adapter would: sysmontap messages (the recordings of tests/test_device_recordings.py)
and notification payloads.  Shapes that come from pymobiledevice3's source
rather than a recording are said so where they are built: the
``(selector, [body])`` tuple is what pymobiledevice3's NotificationsService
queues for a dispatched message (services/dvt/instruments/notifications.py),
and a body for *our* pid with a memory-level code is built in the shape of the
recorded bodies (appium-ios-remotexpc's example), with the pid changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pytest_iosmem.errors import (NotSupported, ReadFailed, TargetError, TargetUnavailable, UsageError,
                                  WarningUnconfirmed)
from pytest_iosmem.targets import TargetContext
from pytest_iosmem.targets.base import AppSpec, Target
from pytest_iosmem.targets.device import (
    DeviceTarget,
    MemoryGraph,
    SysmonTracker,
    map_notification,
    parse_notification,
)
from pytest_iosmem.timeline import EventKind

from .test_device_recordings import (
    issue889_closed,
    jetsam_rpages_bytes,
    pydevice_raw_row,
    remotexpc_notifications,
    tidevice_messages,
)

IPHONE8 = {"ProductType": "iPhone10,1", "ProductVersion": "11.4.1", "DeviceName": "test phone", "DeviceClass": "iPhone"}


class RecordedSession:
    """Stands for a connected device: the test pushes recorded messages through the callbacks."""

    def __init__(self, info=None, pid=351, graph=MemoryGraph(b"memgraph-bytes", 3)):
        self._info = dict(info or IPHONE8)
        self.pid = pid
        self.graph = graph
        self.calls: list[tuple] = []
        self.sample = self.notify = self.error = self.notify_error = None

    def info(self):
        return self._info

    def launch(self, bundle_id, args, env):
        self.calls.append(("launch", bundle_id, list(args), dict(env)))
        return self.pid

    def kill(self, pid):
        self.calls.append(("kill", pid))

    def pid_for_bundle(self, bundle_id):
        return self.pid if bundle_id == "com.example.app" else 0

    def start_sysmon(self, interval_ms, on_sample, on_error):
        self.calls.append(("sysmon", interval_ms))
        self.sample, self.error = on_sample, on_error

    def start_notifications(self, on_event, on_error):
        self.calls.append(("notifications",))
        self.notify, self.notify_error = on_event, on_error

    def memory_graph(self, pid):
        self.calls.append(("memgraph", pid))
        if isinstance(self.graph, Exception):
            raise self.graph
        return self.graph

    def send_memory_warning(self, pid):
        self.calls.append(("warning", pid))

    def close(self):
        self.calls.append(("close",))


def _decoded(pid: int, footprint) -> dict:
    """A process sample in the decoded-row shape (as pymobiledevice3's CLI prints rows)."""
    return {"Processes": {str(pid): {"pid": pid, "physFootprint": footprint}}}


def test_launch_and_read_a_raw_recorded_row():
    attributes, processes = pydevice_raw_row()
    session = RecordedSession(pid=351)
    target = DeviceTarget(session, interval_ms=250)
    assert isinstance(target, Target)
    app = target.launch(AppSpec(bundle_id="com.example.app", args=["-x"], env={"A": "1"}))
    assert session.calls[:3] == [("launch", "com.example.app", ["-x"], {"A": "1"}), ("sysmon", 250), ("notifications",)]
    with pytest.raises(ReadFailed, match="no sysmontap sample of the app yet"):
        target.read(app)
    session.sample(attributes, {"Processes": processes})
    reading = target.read(app)
    assert reading.footprint == 934232 and reading.peak is None  # sysmontap has no lifetime max
    assert target.poll_termination(app) is None


def test_other_pids_and_system_messages_are_ignored():
    attributes, (system, sample) = tidevice_messages()
    session = RecordedSession(pid=1)
    target = DeviceTarget(session)
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    session.sample(attributes, sample)  # pids 0 and 1: ours is 1
    for _ in range(5):
        session.sample(attributes, system)  # CPU-only messages: not "pid missing"
    assert target.read(app).footprint == 12353840
    assert target.poll_termination(app) is None


def test_one_stream_serves_every_launch():
    session = RecordedSession()
    target = DeviceTarget(session)
    first = target.launch(AppSpec(bundle_id="com.example.app"))
    target.terminate(first)
    target.launch(AppSpec(bundle_id="com.example.app"))
    assert [c for c in session.calls if c[0] == "sysmon"] == [("sysmon", 500)]


def test_pid_leaving_the_samples_ends_the_app_with_its_last_footprint():
    session = RecordedSession(pid=4242)
    target = DeviceTarget(session)
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    import json

    row = json.loads(issue889_closed()[issue889_closed().index("["):])[0]  # the iOS 17 row, pid given here
    session.sample([], {"Processes": {"4242": row}})
    for _ in range(3):
        session.sample([], {"Processes": {"1": row}})
    term = target.poll_termination(app)
    assert term.reason == "unknown" and term.last_footprint == 121752144
    assert "left the process samples" in term.detail and "crash reports" in term.detail
    with pytest.raises(ReadFailed, match="no longer running"):
        target.read(app)
    assert target.poll_termination(app) is term  # stable once decided


def test_death_at_the_jetsam_limit_is_jetsam_with_the_recorded_numbers():
    # The JetsamEvent excerpt: an iPhone10,1 on iOS 11.4.1 killed "MemoryTest" (pid 2541) at
    # rpages 89600 x 16 KB; jetsam_limits has that model's limit from the same report.
    name, killed_at = jetsam_rpages_bytes()
    session = RecordedSession(pid=2541)
    target = DeviceTarget(session)
    app = target.launch(AppSpec(bundle_id="com.example." + name))
    session.sample([], _decoded(2541, killed_at))
    for _ in range(3):
        session.sample([], _decoded(1, 1))
    term = target.poll_termination(app)
    assert term.reason == "jetsam" and term.last_footprint == killed_at
    assert "100% of the limit" in term.detail


def test_memory_notifications_become_events_and_explain_the_death():
    notes = remotexpc_notifications()
    session = RecordedSession(pid=449)
    target = DeviceTarget(session)
    app = target.launch(AppSpec(bundle_id="com.apple.mobilecal"))
    session.sample([], _decoded(449, 50_000_000))
    for n in notes:  # recorded, in appium's {"selector", "data"} shape
        session.notify(n)
    session.notify(("memoryLevelNotification:", [notes[2]["data"]]))  # same level again: no second note
    # our pid, pymobiledevice3's (selector, [body]) shape; body shaped like the recorded one
    session.notify(("memoryLevelNotification:", [{"code": 2, "mach_absolute_time": 1, "timestamp": None, "pid": 449}]))
    session.notify(("applicationStateNotification:", [{**notes[1]["data"], "state_description": "Terminated"}]))
    events = target.drain_events(app)
    assert [(e.kind, e.detail) for e in events] == [
        (EventKind.NOTE, "app state: Suspended"),
        (EventKind.NOTE, "device-wide memory pressure: level 3"),
        (EventKind.MEMORY_WARNING, "the device sent the app a memory warning (critical)"),
        (EventKind.NOTE, "app state: Terminated"),
    ]
    assert events[2].data == {"source": "device", "code": 2, "level": "critical"}
    term = target.poll_termination(app)
    assert term.reason == "jetsam" and "critical memory notification" in term.detail
    assert term.last_footprint == 50_000_000


def test_terminated_without_memory_evidence_is_not_called_jetsam():
    session = RecordedSession(pid=327)
    target = DeviceTarget(session)
    app = target.launch(AppSpec(bundle_id="com.apple.Spotlight"))
    body = {**remotexpc_notifications()[0]["data"], "state_description": "Terminated"}
    session.notify(("applicationStateNotification:", [body]))
    term = target.poll_termination(app)
    assert term.reason == "unknown" and "state became Terminated" in term.detail


def test_notification_parsing_edges():
    assert parse_notification("garbage") is None
    assert parse_notification(("memoryLevelNotification:", [])) is None
    assert parse_notification({"not": "a message"}) is None
    note = parse_notification(("memoryLevelNotification:", [{"code": 0, "pid": 7}]))
    assert map_notification(note, 7) is None  # back to normal: nothing to report
    assert map_notification(note, 8) is None


def test_memory_warning_off_is_not_faked():
    target = DeviceTarget(RecordedSession())
    with pytest.raises(NotSupported, match="--iosmem-device-memory-warning off: no memory warning was sent"):
        target.memory_warning(target.attach(4242))
    with pytest.raises(UsageError, match="choose auto, devicectl, experimental or off"):
        DeviceTarget(RecordedSession(), warning_mode="yes")


FAKES = Path(__file__).parent / "fakes"


@pytest.fixture
def devicectl(tmp_path, monkeypatch):
    """The stand-in xcrun (tests/fakes) first on PATH: its devicectl accepts what Xcode 15+'s does."""
    log = tmp_path / "xcrun.log"
    monkeypatch.setenv("PATH", f"{FAKES}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_XCRUN_LOG", str(log))
    return log


def _device_answers(session, log, payload_for):
    """Stands for the device: once devicectl was run, the notification stream delivers ``payload_for(pid)``."""
    def answer():
        deadline = time.monotonic() + 10
        lines: list[str] = []
        while not lines and time.monotonic() < deadline:  # the stand-in creates the log, then writes its line
            lines = log.read_text().splitlines() if log.exists() else []
            time.sleep(0.01)
        pid = int(json.loads(lines[-1])["argv"][-1])
        session.notify(payload_for(pid))

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread


def test_devicectl_warning_confirmed_by_the_devices_memory_notification(devicectl):
    session = RecordedSession(info={**IPHONE8, "UniqueDeviceID": "00008110-000A"})
    target = DeviceTarget(session, warning_mode="auto")
    app = target.attach(4242)
    answered = _device_answers(session, devicectl, lambda pid: ("memoryLevelNotification:", [{"code": 1, "pid": pid}]))
    target.memory_warning(app)
    answered.join()
    (call,) = [json.loads(x)["argv"] for x in devicectl.read_text().splitlines()]
    assert call == ["devicectl", "device", "process", "sendMemoryWarning", "--device", "00008110-000A", "--pid", "4242"]
    details = [e.detail for e in target.drain_events(app)]
    assert "the device sent the app a memory warning (warning)" in details
    assert any("sent through devicectl, confirmed by the device's memory notification" in d for d in details)


def test_a_warning_the_device_never_confirms_is_unconfirmed_not_a_reclaim_failure(devicectl):
    session = RecordedSession(info={**IPHONE8, "UniqueDeviceID": "00008110-000A"})
    target = DeviceTarget(session, warning_mode="devicectl")
    target.warning_confirm_timeout = 0.3
    app = target.attach(4242)
    # the device only reports device-wide pressure (pid -1): not the app's warning
    answered = _device_answers(session, devicectl, lambda pid: ("memoryLevelNotification:", [{"code": 1, "pid": -1}]))
    with pytest.raises(WarningUnconfirmed, match=r"sent through devicectl but not confirmed: no memory notification "
                                                 r"for pid 4242 within 0.3s; the reclaim check is not run"):
        target.memory_warning(app)
    answered.join()


def test_a_stopped_notification_stream_cannot_confirm(devicectl):
    session = RecordedSession(info={**IPHONE8, "UniqueDeviceID": "00008110-000A"})
    target = DeviceTarget(session, warning_mode="devicectl")
    app = target.attach(4242)
    session.notify_error("memory notifications stopped: device: the connection to the device was lost")
    with pytest.raises(WarningUnconfirmed, match="the memory notification stream stopped"):
        target.memory_warning(app)


def test_devicectl_that_fails_says_so(devicectl, monkeypatch):
    monkeypatch.setenv("FAKE_DEVICECTL_EXIT", "1")
    monkeypatch.setenv("FAKE_DEVICECTL_STDERR", "ERROR: The specified device was not found. (com.apple.dt.CoreDeviceError error 1000.)")
    target = DeviceTarget(RecordedSession(info={**IPHONE8, "UniqueDeviceID": "00008110-000A"}), warning_mode="auto")
    with pytest.raises(NotSupported, match=r"sendMemoryWarning --device 00008110-000A --pid 4242' failed \(exit 1\): ERROR: The specified device"):
        target.memory_warning(target.attach(4242))


def test_a_device_without_a_udid_is_not_sent_an_empty_device_argument(devicectl):
    target = DeviceTarget(RecordedSession(), warning_mode="auto")  # IPHONE8's info names no UDID
    with pytest.raises(NotSupported, match="did not say its UDID, which devicectl needs"):
        target.memory_warning(target.attach(4242))
    assert not devicectl.exists()  # devicectl was never run


def test_without_xcrun_no_warning_is_sent_and_it_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # Linux: no xcrun
    target = DeviceTarget(RecordedSession(), warning_mode="auto")
    with pytest.raises(NotSupported, match="xcrun devicectl device process sendMemoryWarning`, which needs a Mac"):
        target.memory_warning(target.attach(4242))


def test_the_experimental_event_is_confirmed_the_same_way():
    session = RecordedSession()
    experimental = DeviceTarget(session, warning_mode="experimental")
    app = experimental.attach(4242)
    session.send_memory_warning = lambda pid: (session.calls.append(("warning", pid)),
                                               session.notify(("memoryLevelNotification:", [{"code": 2, "pid": pid}])))
    experimental.memory_warning(app)
    assert ("warning", 4242) in session.calls
    experimental.warning_confirm_timeout = 0.2
    session.send_memory_warning = lambda pid: None  # sent, and nothing follows
    with pytest.raises(WarningUnconfirmed, match="Instruments' process-control MemoryEvent but not confirmed"):
        experimental.memory_warning(app)


def test_stream_failures_are_read_failures_with_their_reason():
    attributes, processes = pydevice_raw_row()
    session = RecordedSession()
    target = DeviceTarget(session)
    app = target.attach(351)
    session.sample(attributes[:-1], {"Processes": processes})  # attribute list out of step with rows
    with pytest.raises(ReadFailed, match="sysmontap.*10 values for 9"):
        target.read(app)
    session.sample(attributes, {"Processes": processes})
    assert target.read(app).footprint == 934232  # recovers on the next good sample
    session.error("device: the connection to the device was lost")
    with pytest.raises(ReadFailed, match="stream stopped: device: the connection"):
        target.read(app)


def test_no_footprint_value_and_stale_stream():
    session = RecordedSession()
    target = DeviceTarget(session, stale_after=0.01)
    app = target.attach(351)
    session.sample([], _decoded(351, None))  # NSNull footprint: alive, unreadable
    with pytest.raises(ReadFailed, match="carry no physFootprint"):
        target.read(app)
    assert target.poll_termination(app) is None
    session.sample([], _decoded(351, 1000))
    time.sleep(0.03)
    with pytest.raises(ReadFailed, match="no sysmontap sample for"):
        target.read(app)


def test_terminate_kills_and_saves_a_memgraph(tmp_path):
    session = RecordedSession(pid=351)
    target = DeviceTarget(session, memgraph_dir=str(tmp_path))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    session.sample([], _decoded(351, 2000))
    term = target.terminate(app)
    assert session.calls[-2:] == [("memgraph", 351), ("kill", 351)]
    assert term.reason == "signal" and term.signal == 9 and term.last_footprint == 2000
    (capture,) = target.memgraphs
    assert capture.leaked_count == 3 and open(capture.path, "rb").read() == b"memgraph-bytes"
    assert "3 leaked allocation(s)" in capture.describe()
    attached = target.attach(99)
    target.terminate(attached)  # not ours: never killed
    assert ("kill", 99) not in session.calls


def test_memgraph_refused_is_a_note_not_a_failure(tmp_path):
    session = RecordedSession(graph=TargetError("device: the device refused to inspect the app"))
    target = DeviceTarget(session, memgraph_dir=str(tmp_path))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    target.terminate(app)
    assert ("kill", 351) in session.calls and not target.memgraphs
    assert "memory graph not captured" in target.drain_events(app)[0].detail


def test_profile_and_jetsam_limit():
    target = DeviceTarget(RecordedSession())
    p = target.profile()
    # the profile keys the major.minor release (11.4), not the patch (11.4.1): a point update keeps the baselines
    assert (p.kind, p.model, p.os, p.name) == ("device", "iPhone10,1", "iOS 11.4", "iPhone 8")
    assert p.key == "device-ios_11.4-iphone10_1"
    assert target.jetsam_limit().bytes == 89600 * 16384  # sourced row of jetsam_limits
    assert DeviceTarget(RecordedSession(), jetsam_override=3_000_000_000).jetsam_limit().source == "--iosmem-jetsam-limit"
    ipad = DeviceTarget(RecordedSession({"ProductType": "iPad13,4", "ProductVersion": "17.5", "DeviceClass": "iPad",
                                         "DeviceName": "Lab iPad"}))
    p = ipad.profile()
    assert (p.os, p.name, ipad.jetsam_limit()) == ("iPadOS 17.5", "Lab iPad", None)  # unknown stays unknown


def test_attribution_runs_get_their_own_profile():
    # MallocStackLogging adds to the footprint: a run with it is never compared with baselines recorded without
    plain, traced = DeviceTarget(RecordedSession()).profile(), DeviceTarget(RecordedSession(), stack_logging=True).profile()
    assert traced.os == "iOS 11.4-stacks" and traced.key == "device-ios_11.4-stacks-iphone10_1" != plain.key
    assert (traced.kind, traced.model, traced.name) == (plain.kind, plain.model, plain.name)


def test_attach_by_bundle_and_wda_url():
    target = DeviceTarget(RecordedSession(pid=4242), wda_url="http://127.0.0.1:8100")
    app = target.attach_bundle("com.example.app")
    assert (app.pid, app.launched, target.wda_url(app, 1)) == (4242, False, "http://127.0.0.1:8100")
    with pytest.raises(TargetError, match="not running"):
        target.attach_bundle("com.example.other")
    with pytest.raises(TargetError, match="--iosmem-wda-url"):
        plain = DeviceTarget(RecordedSession())
        plain.wda_url(plain.attach(1), 1)


def _ctx(tmp_path=None, **values):
    return TargetContext(option=lambda n: values.get(n), artifacts_dir=str(tmp_path) if tmp_path else None)


@pytest.mark.parametrize(
    "values, match",
    [
        ({"device_memory_warning": "yes"}, "choose auto, devicectl, experimental or off"),
        ({"device_sysmon_interval": "fast"}, "not a number of seconds"),
        ({"device_sysmon_interval": "0"}, "between 0.001 and 60"),
        ({"jetsam_limit": "lots"}, "--iosmem-jetsam-limit"),
        ({"device_rsd": "fd7b::1"}, r"--iosmem-device-rsd='fd7b::1': give HOST PORT"),
        ({"device_rsd": "host 99999"}, "--iosmem-device-rsd='host 99999': give HOST PORT"),
        ({"device_tunneld": "localhost"}, "--iosmem-device-tunneld='localhost': give HOST PORT"),
    ],
)
def test_options_are_checked_before_connecting(values, match):
    from pytest_iosmem.targets import device

    with pytest.raises(UsageError, match=match):
        device.create(_ctx(**values))


def test_create_passes_the_options(monkeypatch, tmp_path):
    from pytest_iosmem.targets import device, device_adapter

    session = RecordedSession()
    monkeypatch.setattr(device_adapter, "connect",
                        lambda *a: session.calls.append(("connect", *a)) or session)
    target = device.create(_ctx(tmp_path, device_udid="00008110-X", device_sysmon_interval="0.25",
                                device_memory_warning="experimental", device_memgraph="true",
                                jetsam_limit="1.5GB", wda_url="http://h:8100"))
    assert session.calls[0] == ("connect", "00008110-X", None, ("127.0.0.1", 49151))  # tunneld's default address
    session.calls.clear()
    device.create(_ctx(tmp_path, device_rsd="fd7b:e5b:6f53::1 60107", device_tunneld="10.0.0.5:5555"))
    assert session.calls[0] == ("connect", None, ("fd7b:e5b:6f53::1", 60107), ("10.0.0.5", 5555))
    assert (target.interval_ms, target.warning_mode, target.jetsam_override, target.default_wda_url) == (
        250, "experimental", 1_500_000_000, "http://h:8100")
    assert target.memgraph_dir == os.path.join(str(tmp_path), "memgraphs")


def test_importing_the_target_does_not_import_pymobiledevice3():
    code = ("import sys, pytest_iosmem.targets.device, pytest_iosmem.targets.device_adapter; "
            "assert 'pymobiledevice3' not in sys.modules, 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_tracker_counts_only_process_samples():
    t = SysmonTracker(pid=5, missing_limit=2)
    t.feed([], {"Type": 33})
    t.feed([], _decoded(1, 1))
    t.feed([], _decoded(1, 1))
    assert not t.gone  # never seen: not "gone" (maybe not started yet)
    t.feed([], _decoded(5, 10))
    t.feed([], _decoded(1, 1))
    assert not t.gone
    t.feed([], _decoded(1, 1))
    assert t.gone and t.latest == 10


# -- the device-marked test: the whole flow on a connected device -------------------------------


def _device_skip_reason() -> str | None:
    try:
        from pytest_iosmem.targets.device_adapter import list_devices

        if not list_devices(details=False):
            return "no device connected"
    except TargetUnavailable as exc:  # pymobiledevice3 missing, usbmuxd not running, ...
        return str(exc)
    if not os.environ.get("IOSMEM_DEVICE_BUNDLE"):
        return "a device is connected: set IOSMEM_DEVICE_BUNDLE to an installed, development-signed app (docs/device.md)"
    return None


@pytest.mark.device
def test_whole_flow_on_a_connected_device(tmp_path):
    """Run with: IOSMEM_DEVICE_BUNDLE=com.example.MyApp pytest tests/test_device.py -m device -p no:cacheprovider
    (add IOSMEM_DEVICE_TRY_WARNING=1 to send a memory warning: devicectl on a Mac, else the experimental event)."""
    reason = _device_skip_reason()
    if reason:
        pytest.skip(reason)
    from pytest_iosmem.targets import device

    try_warning = os.environ.get("IOSMEM_DEVICE_TRY_WARNING") == "1"
    target = device.create(_ctx(tmp_path, device_udid=os.environ.get("IOSMEM_DEVICE_UDID"),
                                device_memory_warning=("auto" if shutil.which("xcrun") else "experimental")
                                if try_warning else "off",
                                device_memgraph="true"))
    try:
        print("profile:", target.profile(), "limit:", target.jetsam_limit())
        app = target.launch(AppSpec(bundle_id=os.environ["IOSMEM_DEVICE_BUNDLE"]))
        deadline = time.monotonic() + 20
        while True:
            try:
                footprint = target.read(app).footprint
                break
            except ReadFailed:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        assert footprint > 1_000_000
        if try_warning:
            target.memory_warning(app)  # raises WarningUnconfirmed unless a memory notification followed
            events = target.drain_events(app)
            print("events after the memory warning:", events)
            assert any(e.kind == EventKind.MEMORY_WARNING for e in events), "no memory notification for the app"
        term = target.terminate(app)
        assert term is not None and term.reason == "signal"
        print("memgraphs:", [m.describe() for m in target.memgraphs])
    finally:
        target.close()


def test_failed_gate_names_the_memory_graph_it_saved(tmp_path):
    """The plugin's FailureArtifacts seam on the device target: a failed gate saves a .memgraph
    (RecordedSession stands for the Leaks channel) and the failure message names it."""
    from pytest_iosmem.verdict.findings import Finding, Verdict
    from pytest_iosmem.verdict.metrics import Metrics
    from pytest_iosmem.conclude import failure_artifacts as _failure_artifacts

    target = DeviceTarget(RecordedSession(), memgraph_dir=str(tmp_path))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    metrics = Metrics(1, 2, 3, 1, 0.0, None, (), 0, None)
    verdict = Verdict(metrics, [Finding("leak", "leak: +1 MB per iteration")])
    paths = _failure_artifacts(target, app, "test_x", verdict)
    assert paths and paths[0].endswith(".memgraph") and open(paths[0], "rb").read() == b"memgraph-bytes"
    assert f"saved: {paths[0]}" in verdict.findings[0].message
    passed = Verdict(metrics, [])
    assert _failure_artifacts(target, app, "test_y", passed) == []
    assert _failure_artifacts(DeviceTarget(RecordedSession()), app, "t", verdict) == []  # not asked for


# -- fresh samples only, and the notification stream's own errors ------------------------------------
def _feed(session, pid, values):
    for v in values:
        session.sample(["pid", "physFootprint"], _decoded(pid, v))


@pytest.mark.slow
def test_settle_counts_only_fresh_sysmontap_samples():
    """read() returns sysmontap's last value; re-reading it five times is not "settled"."""
    import threading

    from pytest_iosmem.measure import IosMem
    from pytest_iosmem.verdict.policy import Policy
    from pytest_iosmem.settle import SettleConfig

    session = RecordedSession(pid=351)
    target = DeviceTarget(session, interval_ms=100)
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    _feed(session, 351, [50_000_000])
    mem = IosMem(target, app, Policy(), interval=0.04, settle=SettleConfig(max_wait=0.3))
    stale = mem.settle()
    assert stale.settled is False  # one sample, read again and again: not five readings
    assert mem.timeline.footprints() == [50_000_000]  # the cached value is recorded once

    stop = threading.Event()

    def stream():  # the device's stream: a new sample every interval (as sysmontap pushes them)
        n = 0
        while not stop.wait(0.1):
            n += 1
            _feed(session, 351, [50_000_000 + n])

    feeder = threading.Thread(target=stream, daemon=True)
    feeder.start()
    try:
        fresh = mem.settle()
    finally:
        stop.set()
        feeder.join(10)
    mem.finish()
    assert fresh.settled is True
    values = mem.timeline.footprints()
    assert len(values) == len(set(values))  # every recorded sample is a new one


def test_settle_reads_at_the_targets_own_rate():
    from pytest_iosmem.measure import settle_config_for
    from pytest_iosmem.settle import SettleConfig

    target = DeviceTarget(RecordedSession(), interval_ms=500)
    cfg = settle_config_for(SettleConfig(max_wait=3.0), target.sample_interval)
    assert cfg.interval == 0.5
    assert cfg.max_wait >= (cfg.window + 1) * 0.5  # room for a full window of fresh samples
    assert settle_config_for(SettleConfig(), None) == SettleConfig()  # local/simulator: unchanged


def test_a_notification_stream_failure_is_a_note_and_reads_go_on():
    session = RecordedSession(pid=351)
    target = DeviceTarget(session)
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    _feed(session, 351, [40_000_000])
    session.notify_error("memory notifications stopped: device: the connection to the device was lost")
    assert target.read(app).footprint == 40_000_000  # footprints come from sysmontap, which still runs
    _feed(session, 351, [41_000_000])
    assert target.read(app).footprint == 41_000_000
    notes = [e for e in target.drain_events(app) if e.kind == EventKind.NOTE]
    assert len(notes) == 1 and "memory notifications stopped" in notes[0].detail
    later = target.launch(AppSpec(bundle_id="com.example.app"))  # an app watched afterwards is told too
    assert any("memory notifications stopped" in e.detail for e in target.drain_events(later))
    session.error("device: the connection to the device was lost")  # sysmontap's own error still breaks reads
    with pytest.raises(ReadFailed, match="sysmontap stream stopped"):
        target.read(app)


class BrokenSession(RecordedSession):
    """Stands for a session raising what the adapter does not translate (a socket error mid-call)."""

    def launch(self, bundle_id, args, env):
        raise ConnectionResetError(104, "Connection reset by peer")

    def kill(self, pid):
        raise OSError(32, "Broken pipe")

    def start_notifications(self, on_event, on_error):
        raise RuntimeError("a bug in a pymobiledevice3 release")


def test_what_a_session_raises_becomes_the_targets_errors():
    session = BrokenSession(pid=351)
    target = DeviceTarget(session)
    with pytest.raises(TargetError, match="launching com.example.app failed: ConnectionResetError"):
        target.launch(AppSpec(bundle_id="com.example.app"))
    app = target.attach(351)  # starts the streams: notifications fail to start -> a note, reads still work
    _feed(session, 351, [30_000_000])
    assert target.read(app).footprint == 30_000_000
    assert any("did not start" in e.detail for e in target.drain_events(app))
    app.launched = True
    assert target.terminate(app) is None  # the kill failed: not stopped, and said so, not raised
    assert any("could not be stopped" in e.detail and "Broken pipe" in e.detail for e in target.drain_events(app))


def test_an_unconfirmed_warning_leaves_the_reclaim_check_unrun_never_failed():
    """Through the measuring layer: a sent-but-unconfirmed warning is a note, and no-reclaim never fires."""
    from pytest_iosmem.measure import IosMem
    from pytest_iosmem.settle import SettleConfig
    from pytest_iosmem.targets.base import App
    from pytest_iosmem.verdict.checks import analyse
    from pytest_iosmem.verdict.policy import Policy

    from .test_sequential import ScriptedTarget

    class Unconfirmed(ScriptedTarget):
        def memory_warning(self, app):  # what both targets raise when nothing shows the app got it
            raise WarningUnconfirmed("a memory warning was sent through devicectl but not confirmed: no memory "
                                     "notification for pid 1 within 5s; the reclaim check is not run")

    policy = Policy(reclaim_after_warning=10_000_000)
    mem = IosMem(Unconfirmed(lambda visits: 30_000_000), App(pid=1, name="app", target_kind="device"), policy,
                 interval=3600, settle=SettleConfig(interval=0.0, window=2, max_wait=0.05))
    try:
        assert mem.memory_warning() is None  # an app that gave nothing back is not blamed
    finally:
        mem.finish()
    v = analyse(mem.timeline, policy, warnings_supported=mem.warnings_supported)
    assert v.passed and not any(f.kind == "no-reclaim" for f in v.findings)
    assert any(n.startswith("memory warning not confirmed: a memory warning was sent through devicectl")
               for n in mem.notes)
    assert any("reclaim after warning not checked" in n for n in v.notes)
