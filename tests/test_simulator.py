"""The simulator target against a stand-in ``xcrun`` on PATH (tests/fakes/xcrun) replaying
recorded outputs.  The footprint source is replaced at its documented seam
(``simulator.read_host_footprint``, which is libproc on a Mac): here it reads a
real local process through /proc, which stands in for the simulator app's host process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_iosmem.errors import TargetError, TargetUnavailable, UsageError
from pytest_iosmem.targets import TargetContext
from pytest_iosmem.targets import simulator as sim
from pytest_iosmem.targets.base import AppSpec, Target

DATA = Path(__file__).parent / "data"
FAKES = Path(__file__).parent / "fakes"
UDID = "ABECF68B-BC4C-44B3-BC32-F9AAC93692CB"  # "Apple Vision Pro" in the Xcode 16 recording


@pytest.fixture
def fake_xcrun(tmp_path, monkeypatch):
    app = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    log = tmp_path / "xcrun.log"
    monkeypatch.setenv("PATH", f"{FAKES}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_XCRUN_LOG", str(log))
    monkeypatch.setenv("FAKE_XCRUN_LIST", str(DATA / "simctl_list_xcode16.json"))
    monkeypatch.setenv("FAKE_XCRUN_PID", str(app.pid))
    monkeypatch.setenv("FAKE_XCRUN_LAUNCHCTL", str(DATA / "simctl_spawn_launchctl_list_1.txt"))
    if sys.platform.startswith("linux"):
        from pytest_iosmem.targets.base import Reading
        from pytest_iosmem.targets.procfs import ProcStatusReader

        monkeypatch.setattr(sim, "read_host_footprint", lambda pid: Reading(ProcStatusReader(pid).read(), None))

    def calls():
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    yield app, calls
    app.kill()
    app.wait()


def ctx(**options):
    return TargetContext(option=lambda name: options.get(name))


def first_iphone():
    from pytest_iosmem.parsers.simctl import parse_list

    lst = parse_list((DATA / "simctl_list_xcode16.json").read_text())
    return next(d for d in lst.devices if d.available and d.name.startswith("iPhone"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the seam reads /proc here")
def test_end_to_end_list_pick_boot_launch_warn_terminate(fake_xcrun):
    app_proc, calls = fake_xcrun
    iphone = first_iphone()
    target = sim.create(ctx(simulator_name=iphone.name))
    assert isinstance(target, Target)
    app = target.launch(AppSpec(bundle_id="com.example.app", args=["-UITests"], env={"MallocStackLogging": "1"}))
    assert app.pid == app_proc.pid
    assert target.read(app).footprint > 0
    target.memory_warning(app)
    assert target.poll_termination(app) is None
    target.terminate(app)
    argvs = [c["argv"] for c in calls()]
    assert argvs == [
        ["simctl", "list", "-j"],
        ["simctl", "bootstatus", iphone.udid, "-b"],
        ["simctl", "launch", "--terminate-running-process", iphone.udid, "com.example.app", "-UITests"],
        ["simctl", "spawn", iphone.udid, "notifyutil", "-p", "com.apple.UIKit.SimulatorMemoryWarning"],
        ["simctl", "terminate", iphone.udid, "com.example.app"],
    ]
    assert calls()[2]["env"] == {"SIMCTL_CHILD_MallocStackLogging": "1"}
    p = target.profile()
    assert p.kind == "simulator" and p.model.startswith("com.apple.CoreSimulator.SimDeviceType.iPhone")
    assert p.os.startswith("iOS ")


def test_unknown_udid_lists_the_available_ones(fake_xcrun):
    with pytest.raises(TargetError) as info:
        sim.create(ctx(simulator_udid="00000000-DEAD-BEEF-0000-000000000000"))
    text = str(info.value)
    assert "no simulator with UDID 00000000-DEAD-BEEF" in text and first_iphone().udid in text


def test_name_and_runtime_that_match_nothing(fake_xcrun):
    with pytest.raises(TargetError, match="no available simulator matches iPhone 99 on iOS 3.0"):
        sim.create(ctx(simulator_name="iPhone 99", simulator_runtime="iOS 3.0"))


def test_wda_launched_app_found_by_launchctl(fake_xcrun):
    target = sim.create(ctx(simulator_udid=UDID))
    app = target.attach_bundle("com.apple.mobilesafari")
    assert app.pid == 22076 and not app.launched
    with pytest.raises(TargetError, match="not running"):
        target.attach_bundle("com.example.absent")


def test_pool_gives_each_xdist_worker_its_own_simulator(fake_xcrun):
    iphone = first_iphone()
    pool = [f"{UDID}@http://mac-a:8100", f"{iphone.udid}@http://mac-b:8100"]
    t1 = sim.create(TargetContext(option=lambda n: {"simulator_pool": pool}.get(n), worker_id="gw1", worker_count=2))
    assert t1.udid == iphone.udid and t1.default_wda_url == "http://mac-b:8100"
    with pytest.raises(UsageError, match="worker gw2 needs one more"):
        sim.create(TargetContext(option=lambda n: {"simulator_pool": pool}.get(n), worker_id="gw2"))


def test_clone_per_worker_is_deleted_at_the_end(fake_xcrun):
    _, calls = fake_xcrun
    target = sim.create(TargetContext(option=lambda n: {"simulator_udid": UDID, "simulator_clone": True}.get(n),
                                      worker_id="gw0", worker_count=2))
    assert target.udid == "C10NE000-0000-4000-8000-000000000001"
    assert target.profile().model == "com.apple.CoreSimulator.SimDeviceType.Apple-Vision-Pro"  # same as the original
    target.close()
    argvs = [c["argv"] for c in calls()]
    assert ["simctl", "clone", UDID, "Apple Vision Pro iosmem gw0"] in argvs
    assert argvs[-1] == ["simctl", "delete", "C10NE000-0000-4000-8000-000000000001"]


def test_launch_needs_a_bundle_id(fake_xcrun):
    target = sim.create(ctx(simulator_udid=UDID))
    with pytest.raises(UsageError, match="bundle id"):
        target.launch(AppSpec(command=["./app"]))


def test_no_xcrun_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TargetUnavailable, match="no 'xcrun' on PATH"):
        sim.create(ctx())


def test_jetsam_limit_from_override_or_table(fake_xcrun):
    target = sim.create(ctx(simulator_udid=UDID, jetsam_limit="1.5GB"))
    assert target.jetsam_limit().bytes == 1_500_000_000
    assert sim.create(ctx(simulator_udid=UDID)).jetsam_limit() is None  # unknown model: no guess


def test_iosmem_devices_lists_simulators_through_xcrun(fake_xcrun):
    out = subprocess.run([sys.executable, "-m", "pytest_iosmem.cli", "devices"], capture_output=True, text=True,
                         env=os.environ.copy(), timeout=60)
    assert out.returncode == 0, out.stderr
    assert first_iphone().udid in out.stdout and "simulator-ios" in out.stdout


@pytest.mark.macos
@pytest.mark.skipif(sys.platform != "darwin", reason="needs a macOS host with Xcode")
def test_real_libproc_reads_this_process():
    from pytest_iosmem.targets.libproc import read_footprint

    r = read_footprint(os.getpid())
    assert r.footprint > 1_000_000 and r.peak >= r.footprint
