"""The device target's logic at its seam (DeviceSession), with recorded sysmontap rows.

``RecordedSession`` stands for a connected device (pymobiledevice3 behind
pytest_iosmem/targets/device_adapter.py): it replays sysmontap samples built
from real recordings (tests/data/PROVENANCE.md) and notification payloads in
the ``(selector, [args])`` shape of pymobiledevice3's NotificationsService.
"""

import json
import os
import re
import time
from pathlib import Path

import pytest

from pytest_iosmem.errors import NotSupported, ReadFailed, TargetError, TargetUnavailable, UsageError
from pytest_iosmem.targets import TargetContext
from pytest_iosmem.targets.base import AppSpec, Target
from pytest_iosmem.targets.device import DeviceTarget, SysmonTracker, footprint_of, map_notification

DATA = Path(__file__).parent / "data"


def recorded_issue889_row() -> dict:
    """The iOS 17 row of pymobiledevice3 issue 889 (decoded dicts), cut after physFootprint in the
    issue; closed here so it parses. ``pid`` is not in the excerpt: the test gives one."""
    text = (DATA / "pymobiledevice3_sysmon_process_single_issue889_truncated.txt").read_text()
    body = text[text.index("{"):].rstrip().rstrip(",")
    return json.loads(body + "}")


def raw_row_py_ios_device_8():
    """The raw per-pid row annotated in py-ios-device issue 8 (sysmontap_attributes.txt, section 3)."""
    text = (DATA / "sysmontap_attributes.txt").read_text()
    block = text[text.index('"351": ['):].split("]", 1)[0]
    values = [float(v) if "." in v else int(v) for v in re.findall(r"-?\d+(?:\.\d+)?", block.split("[", 1)[1])]
    attributes = ["pid", "memVirtualSize", "memResidentSize", "cpuUsage", "x1", "x2", "physFootprint", "memAnon",
                  "powerScore", "diskBytesRead"]
    return attributes, {"351": values}


def test_footprint_from_a_real_decoded_row():
    row = recorded_issue889_row()
    assert row["physFootprint"] == 121752144 and row["comm"] == "ZLKD"
    assert footprint_of(4242, [], {"4242": row}) == 121752144
    assert footprint_of(1, [], {"4242": row}) is None


def test_footprint_from_a_real_raw_row_by_attribute_order():
    attributes, processes = raw_row_py_ios_device_8()
    assert footprint_of(351, attributes, processes) == 934232
    with pytest.raises(ReadFailed, match="no physFootprint"):
        footprint_of(351, ["pid", "cpuUsage"], processes)


def test_tracker_notices_the_pid_leaving_the_samples():
    t = SysmonTracker(pid=4242, missing_limit=2)
    row = recorded_issue889_row()
    t.feed([], {"4242": row})
    t.feed([], {"4242": {**row, "physFootprint": 130_000_000}})
    assert (t.latest, t.peak) == (130_000_000, 130_000_000)
    t.feed([], {"1": row})
    assert not t.gone
    t.feed([], {"1": row})
    assert t.gone


def test_notifications_about_our_pid():
    assert map_notification(("memoryNotification:", [{"pid": 42, "kind": "warning"}]), 42).kind == "memory_warning_received"
    kill = map_notification(("applicationStateNotification:", [{"pid": 42, "state_description": "Terminated",
                                                                "reason": "jetsam memory limit"}]), 42)
    assert kill.kind == "jetsam_kill"
    assert map_notification(("memoryNotification:", [{"pid": 7}]), 42) is None
    assert map_notification("garbage", 42) is None


class RecordedSession:
    """Stands for a connected device: replays recorded rows, records what was asked."""

    def __init__(self, rows, info=None):
        self.rows = rows
        self.calls = []
        self._info = info or {"ProductType": "iPhone10,1", "ProductVersion": "11.4.1", "DeviceName": "test phone"}
        self.notify = None

    def info(self):
        return self._info

    def launch(self, bundle_id, args, env):
        self.calls.append(("launch", bundle_id, list(args), dict(env)))
        return 4242

    def kill(self, pid):
        self.calls.append(("kill", pid))

    def pid_for_bundle(self, bundle_id):
        return 4242 if bundle_id == "com.example.app" else 0

    def start_sysmon(self, interval_ms, on_sample):
        self.calls.append(("sysmon", interval_ms))
        for attributes, processes in self.rows:  # delivered at once: the stream the device would push
            on_sample(attributes, processes)

    def start_notifications(self, on_event):
        self.notify = on_event

    def send_memory_warning(self, pid):
        self.calls.append(("warning", pid))

    def close(self):
        self.calls.append(("close",))


def test_launch_read_profile_and_limits():
    row = recorded_issue889_row()
    session = RecordedSession([([], {"4242": row})])
    target = DeviceTarget(session, interval_ms=250)
    assert isinstance(target, Target)
    app = target.launch(AppSpec(bundle_id="com.example.app", args=["-x"], env={"A": "1"}))
    assert session.calls[:2] == [("launch", "com.example.app", ["-x"], {"A": "1"}), ("sysmon", 250)]
    assert target.read(app).footprint == 121752144
    p = target.profile()
    assert (p.kind, p.model, p.os, p.name) == ("device", "iPhone10,1", "iOS 11.4.1", "iPhone 8")
    assert target.jetsam_limit().bytes == 1400 * 1024 * 1024  # the sourced row of the table
    target.terminate(app)
    assert ("kill", 4242) in session.calls


def test_jetsam_notification_ends_the_app_with_the_last_footprint():
    session = RecordedSession([([], {"4242": recorded_issue889_row()})])
    target = DeviceTarget(session)
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    session.notify(("applicationStateNotification:", [{"pid": 4242, "state_description": "Terminated",
                                                       "reason": "jetsam"}]))
    term = target.poll_termination(app)
    assert term.reason == "jetsam" and term.last_footprint == 121752144
    assert [e.kind for e in target.drain_events(app)] == ["jetsam_kill"]
    with pytest.raises(ReadFailed):
        target.read(app)


def test_memory_warning_is_not_faked():
    target = DeviceTarget(RecordedSession([]))
    app = target.attach(4242)
    with pytest.raises(NotSupported, match="no public tool sends a memory warning"):
        target.memory_warning(app)
    session = RecordedSession([])
    DeviceTarget(session, warning_mode="experimental").memory_warning(app)
    assert ("warning", 4242) in session.calls


def test_stale_stream_and_no_sample_are_read_failures():
    target = DeviceTarget(RecordedSession([]), stale_after=0.01)
    app = target.attach(4242)
    with pytest.raises(ReadFailed, match="no sysmontap sample of the app yet"):
        target.read(app)
    app.handle.tracker.feed([], {"4242": {"physFootprint": 1}})
    time.sleep(0.03)
    with pytest.raises(ReadFailed, match="no sysmontap sample for"):
        target.read(app)


def test_attach_by_bundle():
    target = DeviceTarget(RecordedSession([]))
    assert target.attach_bundle("com.example.app").pid == 4242
    with pytest.raises(TargetError, match="not running"):
        target.attach_bundle("com.example.other")


def test_options_are_checked():
    from pytest_iosmem.targets import device

    with pytest.raises(UsageError, match="choose off or experimental"):
        device.create(TargetContext(option=lambda n: {"device_memory_warning": "yes"}.get(n)))


def test_without_pymobiledevice3_the_error_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pmd(name, *a, **k):
        if name.startswith("pymobiledevice3"):
            raise ImportError(name)
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_pmd)
    from pytest_iosmem.targets import device_adapter

    with pytest.raises(TargetUnavailable, match=r"pip install 'pytest-iosmem\[device\]'"):
        device_adapter.list_devices()


def _connected_device():
    try:
        from pytest_iosmem.targets.device_adapter import list_devices

        return bool(list_devices())
    except Exception:
        return False


@pytest.mark.device
@pytest.mark.skipif(not os.environ.get("IOSMEM_DEVICE_BUNDLE") or not _connected_device(),
                    reason="needs pymobiledevice3, a connected device and IOSMEM_DEVICE_BUNDLE (see docs/device.md)")
def test_whole_flow_on_a_connected_device():
    from pytest_iosmem.targets import device

    target = device.create(TargetContext(option=lambda n: None))
    app = target.launch(AppSpec(bundle_id=os.environ["IOSMEM_DEVICE_BUNDLE"]))
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                assert target.read(app).footprint > 1_000_000
                break
            except ReadFailed:
                time.sleep(0.5)
        else:
            pytest.fail("no footprint sample of the app within 15 s")
    finally:
        target.terminate(app)
        target.close()
