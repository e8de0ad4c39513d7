"""The simulator target against stand-ins on PATH (tests/fakes) that replay recorded outputs.

``xcrun`` replays ``simctl list -j`` (Xcode 16 recording), ``launch`` (``bundle: pid``) and
``launchctl list`` (recording); ``heap``, ``leaks``, ``footprint`` replay their recordings.
Every command line the target runs is asserted exactly.

The footprint seam: on a Mac, :func:`pytest_iosmem.targets.libproc.read_footprint` calls
``proc_pid_rusage`` on the app's host pid.  Here it is replaced by a read of
``/proc/<pid>/status`` of a real local process that stands in for the simulator app
(``simctl launch`` reports that process's pid), so readings are real numbers of a live process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_iosmem.errors import NotSupported, ReadFailed, TargetError, TargetUnavailable, UsageError
from pytest_iosmem.parsers.simctl import parse_list
from pytest_iosmem.targets import TargetContext, libproc
from pytest_iosmem.targets import simulator as sim
from pytest_iosmem.targets.base import AppSpec, Reading, Target

DATA = Path(__file__).parent / "data"
FAKES = Path(__file__).parent / "fakes"
LISTING = parse_list((DATA / "simctl_list_xcode16.json").read_text())
VISION = "ABECF68B-BC4C-44B3-BC32-F9AAC93692CB"  # "Apple Vision Pro" in the Xcode 16 recording
IPHONE15 = "218E4ECD-F530-413F-9A8F-65951D3C4DBF"  # "iPhone 15", iOS 17.5, in the same recording
CLONE = "C10NE000-0000-4000-8000-000000000001"  # what the stand-in's `simctl clone` prints
WARN = ["simctl", "notify_post", IPHONE15, "com.apple.UIKit.SimulatorMemoryWarning"]  # simctl's own way
WARN_FALLBACK = ["simctl", "spawn", IPHONE15, "notifyutil", "-p", "com.apple.UIKit.SimulatorMemoryWarning"]


def is_log_show(argv, pid) -> bool:
    """``simctl spawn UDID log show --style compact --start T --predicate P`` asking for the app's memory warning."""
    return (argv[:8] == ["simctl", "spawn", IPHONE15, "log", "show", "--style", "compact", "--start"]
            and argv[9:] == ["--predicate", f'processIdentifier == {pid} AND eventMessage CONTAINS[c] "memory warning"'])


class Fakes:
    def __init__(self, tmp_path: Path, app: subprocess.Popen) -> None:
        self.app = app
        self.xcrun_log = tmp_path / "xcrun.log"
        self.tools_log = tmp_path / "tools.log"
        self.artifacts = tmp_path / "artifacts"

    def xcrun_calls(self) -> list[dict]:
        return [json.loads(x) for x in self.xcrun_log.read_text().splitlines()] if self.xcrun_log.exists() else []

    def argvs(self) -> list[list[str]]:
        return [c["argv"] for c in self.xcrun_calls()]

    def tool_argvs(self) -> list[list[str]]:
        if not self.tools_log.exists():
            return []
        return [json.loads(x)["argv"] for x in self.tools_log.read_text().splitlines()]


def _proc_status_footprint(pid: int) -> Reading:
    """Stands in for proc_pid_rusage: the stand-in app process's footprint from /proc (Linux)."""
    from pytest_iosmem.targets.procfs import ProcStatusReader

    try:
        return Reading(ProcStatusReader(pid).read(), None)
    except OSError as exc:
        raise ReadFailed(f"pid {pid}: {exc}") from None


@pytest.fixture
def fakes(tmp_path, monkeypatch):
    app = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    f = Fakes(tmp_path, app)
    monkeypatch.setenv("PATH", f"{FAKES}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_XCRUN_LOG", str(f.xcrun_log))
    monkeypatch.setenv("FAKE_TOOLS_LOG", str(f.tools_log))
    monkeypatch.setenv("FAKE_XCRUN_LIST", str(DATA / "simctl_list_xcode16.json"))
    monkeypatch.setenv("FAKE_XCRUN_PID", str(app.pid))
    monkeypatch.setenv("FAKE_XCRUN_LAUNCHCTL", str(DATA / "simctl_spawn_launchctl_list_1.txt"))
    monkeypatch.setenv("IOSMEM_LEASE_DIR", str(tmp_path / "leases"))  # pool leases of this test only
    if sys.platform.startswith("linux"):
        monkeypatch.setattr(libproc, "read_footprint", _proc_status_footprint)
    yield f
    app.kill()
    app.wait()


def ctx(fakes: Fakes | None = None, worker_id: str = "master", host: str = "mac1", **options) -> TargetContext:
    artifacts = str(fakes.artifacts) if fakes else None
    return TargetContext(option=lambda name: options.get(name), worker_id=worker_id, artifacts_dir=artifacts,
                         host=host)


# -- the whole flow -------------------------------------------------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the footprint seam reads /proc here")
def test_end_to_end_list_pick_boot_launch_read_warn_terminate(fakes):
    target = sim.create(ctx(fakes, simulator_name="iPhone 15", simulator_runtime="iOS 17.5"))
    assert isinstance(target, Target) and target.kind == "simulator"
    app = target.launch(AppSpec(bundle_id="com.example.app", args=["-UITests", "1"], env={"FEATURE": "x"}))
    assert app.pid == fakes.app.pid and app.bundle_id == "com.example.app" and app.launched
    reading = target.read(app)
    assert reading.footprint > 0
    target.memory_warning(app)
    assert target.poll_termination(app) is None
    fakes.app.kill()
    fakes.app.wait()
    ended = target.terminate(app)
    assert ended is not None and ended.reason == "exit"
    argvs = fakes.argvs()
    assert is_log_show(argvs.pop(4), app.pid)  # the warning is confirmed by the app's log
    assert argvs == [
        ["simctl", "list", "-j"],
        ["simctl", "bootstatus", IPHONE15, "-b"],
        ["simctl", "launch", "--terminate-running-process", IPHONE15, "com.example.app", "-UITests", "1"],
        WARN,
        ["simctl", "terminate", IPHONE15, "com.example.app"],
    ]
    assert fakes.xcrun_calls()[2]["env"] == {"SIMCTL_CHILD_FEATURE": "x"}  # no MallocStackLogging by default
    p = target.profile()
    assert (p.kind, p.model, p.os, p.name) == (
        "simulator", "com.apple.CoreSimulator.SimDeviceType.iPhone-15", "iOS 17.5", "iPhone 15")
    assert p.key == "simulator-ios_17.5-com.apple.coresimulator.simdevicetype.iphone-15"
    # attribution on launches with MallocStackLogging, which adds to the footprint: its own profile
    traced = sim.create(ctx(fakes, simulator_udid=IPHONE15, attribution="on")).profile()
    assert traced.os == "iOS 17.5-stacks" and traced.model == p.model and traced.name == p.name
    assert traced.key == "simulator-ios_17.5-stacks-com.apple.coresimulator.simdevicetype.iphone-15"
    # the jetsam limit of an iPhone 15 on iOS 17.5 is not publicly known: said once, as a note
    assert target.jetsam_limit() is None
    note, confirmed = target.drain_events(app)
    assert confirmed.detail.startswith("memory warning confirmed by the app's log: ")
    assert note.kind == "note" and "iPhone15,4 (iPhone 15)" in note.detail and "--iosmem-jetsam-limit" in note.detail
    assert target.drain_events(app) == []


def test_install_once_then_launch(fakes, tmp_path):
    app_dir = tmp_path / "My.app"
    app_dir.mkdir()
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, simulator_app=str(app_dir)))
    target.launch(AppSpec(bundle_id="com.example.app"))
    target.launch(AppSpec(bundle_id="com.example.app"))
    assert fakes.argvs()[1:] == [
        ["simctl", "bootstatus", IPHONE15, "-b"],
        ["simctl", "install", IPHONE15, str(app_dir)],
        ["simctl", "launch", "--terminate-running-process", IPHONE15, "com.example.app"],
        ["simctl", "launch", "--terminate-running-process", IPHONE15, "com.example.app"],
    ]


def test_missing_app_bundle_is_said_before_running_simctl(fakes, tmp_path):
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, simulator_app=str(tmp_path / "Nope.app")))
    with pytest.raises(TargetError, match="no such .app directory"):
        target.launch(AppSpec(bundle_id="com.example.app"))


def test_attribution_launches_with_malloc_stack_logging(fakes):
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, attribution="on"))
    target.launch(AppSpec(bundle_id="com.example.app", env={"A": "1"}))
    assert fakes.xcrun_calls()[-1]["env"] == {"SIMCTL_CHILD_A": "1", "SIMCTL_CHILD_MallocStackLogging": "1"}


# -- picking -------------------------------------------------------------------------------------------
def test_unknown_udid_lists_the_available_ones(fakes):
    with pytest.raises(TargetError) as info:
        sim.create(ctx(simulator_udid="00000000-DEAD-BEEF-0000-000000000000"))
    text = str(info.value)
    assert "no simulator with UDID 00000000-DEAD-BEEF" in text and IPHONE15 in text and "iPhone 15 (iOS 17.5)" in text


def test_name_and_runtime_that_match_nothing(fakes):
    with pytest.raises(TargetError, match="no available simulator matches iPhone 99 on iOS 3.0. Available:"):
        sim.create(ctx(simulator_name="iPhone 99", simulator_runtime="iOS 3.0"))


def test_runtime_by_version_alone_and_nothing_given():
    # pick() logic on the recording, without subprocesses
    simctl = sim.Simctl()
    simctl.list = lambda: LISTING  # type: ignore[method-assign]
    device, _ = simctl.pick(name="iphone 15", runtime="17.5")
    assert device.udid == IPHONE15
    booted = [d for d in LISTING.devices if d.state == "Booted"]
    if len(booted) != 1:
        with pytest.raises(TargetError, match="simulators are booted: choose one"):
            simctl.pick()


def test_a_simctl_failure_names_the_command_and_simctls_words(fakes):
    simctl = sim.Simctl()
    with pytest.raises(TargetError) as info:
        simctl.boot("11111111-2222-3333-4444-555555555555")
    text = str(info.value)
    assert "'xcrun simctl bootstatus 11111111-2222-3333-4444-555555555555 -b' failed (exit 164)" in text
    assert "Invalid device: 11111111-2222-3333-4444-555555555555" in text and "iosmem devices" in text


def test_no_xcrun_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TargetUnavailable, match="no 'xcrun' on PATH .*needs a Mac with Xcode"):
        sim.create(ctx())


def test_xcode26_empty_json_falls_back_to_the_text_listing(fakes, tmp_path, monkeypatch):
    """`list -j` lists runtimes and device types but no device (the Xcode 26.0 bug); the text listing has them."""
    transcript = (DATA / "simctl_list_devices_xcode26_empty_json_bug.txt").read_text()
    text_listing = tmp_path / "text.txt"
    text_listing.write_text(transcript[: transcript.index("{")])
    doc = json.loads((DATA / "simctl_list_xcode16.json").read_text())
    doc["devices"] = {k: [] for k in doc["devices"]}
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps(doc))
    monkeypatch.setenv("FAKE_XCRUN_LIST", str(empty))
    monkeypatch.setenv("FAKE_XCRUN_TEXT_LIST", str(text_listing))
    device, listing = sim.Simctl().pick(name="iPhone 16 Pro")
    assert device.udid == "87D5AFE2-5B9B-4CC1-8165-F7AC6F938E4D"
    assert device.device_type == "com.apple.CoreSimulator.SimDeviceType.iPhone-16-Pro"  # by its name
    assert fakes.argvs() == [["simctl", "list", "-j"], ["simctl", "list", "devices"]]


# -- scale: pools and clones -------------------------------------------------------------------------
def test_pool_gives_each_xdist_worker_its_own_simulator_and_wda_url(fakes):
    pool = [f"{VISION}@http://mac-a:8100", f"{IPHONE15}@http://mac-b:8100"]
    t1 = sim.create(ctx(fakes, worker_id="gw1", simulator_pool=pool))
    assert t1.udid == IPHONE15 and t1.default_wda_url == "http://mac-b:8100"
    t0 = sim.create(ctx(fakes, worker_id="gw0", simulator_pool=",".join(pool)))  # one string works too
    assert t0.udid == VISION
    with pytest.raises(TargetUnavailable, match="worker gw2 needs one more"):
        sim.create(ctx(fakes, worker_id="gw2", simulator_pool=pool))
    t1.close()  # its lease is dropped: a worker that replaces it takes its simulator
    assert sim.create(ctx(fakes, worker_id="gw2", simulator_pool=pool)).udid == IPHONE15


def test_pool_across_macs_each_worker_takes_a_simulator_of_its_own_host(fakes):
    """gw3 on mac2 never takes mac1's UDID (the recording holds both UDIDs: which host has which is the pool's word)."""
    pool = [f"mac1:{VISION}@http://127.0.0.1:8100", f"mac2:{IPHONE15}@http://127.0.0.1:8101"]
    t3 = sim.create(ctx(fakes, worker_id="gw3", host="mac2.local", simulator_pool=pool))
    assert t3.udid == IPHONE15 and t3.default_wda_url == "http://127.0.0.1:8101"
    t0 = sim.create(ctx(fakes, worker_id="gw0", host="mac1", simulator_pool="\n".join(pool)))
    assert t0.udid == VISION
    with pytest.raises(TargetUnavailable, match="for host 'mac2'.*all taken"):
        sim.create(ctx(fakes, worker_id="gw4", host="mac2", simulator_pool=pool))
    with pytest.raises(UsageError, match="names no simulator for host 'mac3'"):
        sim.create(ctx(fakes, worker_id="gw5", host="mac3", simulator_pool=pool))


def test_pool_udid_missing_on_this_host_fails_naming_the_host(fakes):
    pool = ["mac2:0BADBAD0-0000-4000-8000-000000000000"]
    with pytest.raises((TargetError, UsageError), match="no usable simulator on host 'mac2' .xdist worker gw1.") as exc:
        sim.create(ctx(fakes, worker_id="gw1", host="mac2", simulator_pool=pool))
    assert "0BADBAD0" in str(exc.value)
    # its lease was dropped with the failure: the entry is free for the next try
    from pytest_iosmem.targets import pool as pool_module

    leases = pool_module.Leases(fakes.artifacts.parent / "leases")  # IOSMEM_LEASE_DIR of this test
    assert leases.try_take(pool_module.PoolEntry("0BADBAD0-0000-4000-8000-000000000000"))


def test_clone_per_worker_keeps_the_profile_and_is_deleted_at_close(fakes):
    target = sim.create(ctx(fakes, worker_id="gw0", simulator_udid=IPHONE15, simulator_clone=True))
    original = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    assert target.udid == CLONE and target.profile() == original.profile()
    target.close()
    target.close()  # idempotent
    argvs = fakes.argvs()
    assert ["simctl", "clone", IPHONE15, "iPhone 15 iosmem gw0"] in argvs
    assert argvs[-2:] == [["simctl", "shutdown", CLONE], ["simctl", "delete", CLONE]]
    assert argvs.count(["simctl", "delete", CLONE]) == 1


def test_clone_of_a_simulator_this_host_lacks_fails_naming_the_host(fakes):
    with pytest.raises((TargetError, UsageError), match="no usable simulator on host 'mac2' .xdist worker gw2.") as exc:
        sim.create(ctx(fakes, worker_id="gw2", host="mac2", simulator_name="iPhone 99", simulator_clone=True))
    assert "iPhone 99" in str(exc.value)


def test_no_clone_without_xdist(fakes):
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, simulator_clone=True))
    assert target.udid == IPHONE15 and not any(a[1] == "clone" for a in fakes.argvs())


# -- apps launched by WebDriverAgent ----------------------------------------------------------------------
def test_wda_launched_app_found_by_launchctl(fakes):
    target = sim.create(ctx(fakes, simulator_udid=VISION))
    app = target.attach_bundle("com.apple.mobilesafari")
    assert app.pid == 22076 and not app.launched
    assert fakes.argvs()[-1] == ["simctl", "spawn", VISION, "launchctl", "list"]
    with pytest.raises(TargetError, match="com.example.absent is not running"):
        target.attach_bundle("com.example.absent")
    target.terminate(app)  # an app the target did not launch is never terminated
    assert ["simctl", "terminate", VISION, "com.apple.mobilesafari"] not in fakes.argvs()


def test_launch_needs_a_bundle_id(fakes):
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    with pytest.raises(UsageError, match="bundle id"):
        target.launch(AppSpec(command=["./app"]))


def test_wda_url_from_option_or_a_clear_error(fakes):
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, wda_url="http://127.0.0.1:8100"))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    assert target.wda_url(app, 1) == "http://127.0.0.1:8100"
    bare = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    with pytest.raises(TargetError, match="--iosmem-wda-url"):
        bare.wda_url(bare.attach(app.pid), 1)


def test_wda_started_from_xctestrun_and_stopped_at_close(fakes, tmp_path, monkeypatch):
    xctestrun = tmp_path / "WebDriverAgentRunner_iphonesimulator.xctestrun"
    xctestrun.write_text("<plist/>")
    monkeypatch.setenv("FAKE_WDA_URL", "http://127.0.0.1:8100")
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, simulator_xctestrun=str(xctestrun)))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    assert target.wda_url(app, 20) == "http://127.0.0.1:8100"
    assert fakes.tool_argvs() == [["xcodebuild", "test-without-building", "-xctestrun", str(xctestrun),
                                   "-destination", f"id={IPHONE15}"]]
    runner = target.wda
    target.close()
    assert runner.process is None and runner.log_path.exists() and "ServerURLHere" in runner.log_path.read_text()


def test_wda_that_never_serves_names_its_log(fakes, tmp_path, monkeypatch):
    xctestrun = tmp_path / "W.xctestrun"
    xctestrun.write_text("<plist/>")
    monkeypatch.delenv("FAKE_WDA_URL", raising=False)  # the stand-in exits 65, like a failed test run
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, simulator_xctestrun=str(xctestrun)))
    with pytest.raises(TargetError, match=r"ended \(exit 65\) before serving; its log: .*wda-xcodebuild.log"):
        target.launch(AppSpec(bundle_id="com.example.app"))  # WDA is awaited before the app starts
    target.close()


# -- footprint source ------------------------------------------------------------------------------------
@pytest.mark.skipif(sys.platform == "darwin", reason="on a Mac libproc answers")
def test_without_libproc_the_footprint_source_is_said_plainly(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{FAKES}{os.pathsep}{os.environ['PATH']}")  # a footprint tool on PATH changes nothing
    with pytest.raises(TargetUnavailable, match="libproc is not usable .* the simulator target needs macOS"):
        sim.read_host_footprint(1)


# -- who allocated -------------------------------------------------------------------------------------------
def test_class_histogram_from_heap_with_the_raw_output_kept(fakes, monkeypatch):
    monkeypatch.setenv("FAKE_HEAP_OUTPUT", str(DATA / "heap_ios_sim_17_2.txt"))
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, attribution="on"))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    classes = target.class_histogram(app)
    by = {c.name: c for c in classes}
    assert by["CFString"].count == 4891 and by["ViewController"].bytes == 944
    assert fakes.tool_argvs() == [["heap", str(app.pid)]]
    raw = fakes.artifacts / "simulator" / IPHONE15 / f"heap-{app.pid}-1.txt"
    assert raw.read_text().startswith("Invalid connection")


def test_heap_that_cannot_inspect_is_not_supported_not_zero(fakes, monkeypatch):
    monkeypatch.setenv("FAKE_HEAP_EXIT", "1")
    monkeypatch.setenv("FAKE_HEAP_STDERR", "heap[99]: [fatal] unable to examine process: not debuggable")
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    app = target.attach(fakes.app.pid)
    with pytest.raises(NotSupported, match="heap cannot inspect pid .* not debuggable"):
        target.class_histogram(app)


def test_leaks_memgraphs_at_both_snapshots_and_their_diff_with_an_allowlist(fakes, monkeypatch):
    monkeypatch.setenv("FAKE_HEAP_OUTPUT", str(DATA / "heap_ios_sim_17_2.txt"))
    monkeypatch.setenv("FAKE_LEAKS_EXIT", "0")
    # the diff's stdout has the shape of any leaks report (no public recording of -diffFrom output exists)
    monkeypatch.setenv("FAKE_LEAKS_DIFF_OUTPUT", str(DATA / "leaks_output_ios_sim_bytebuddy_cycle.txt"))
    monkeypatch.setenv("FAKE_LEAKS_DIFF_EXIT", "1")
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, attribution="on", simulator_leaks=True,
                            simulator_leaks_allowlist=["NSURL", "CFDictionary (Value Storage)"]))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    target.drain_events(app)
    target.class_histogram(app)
    target.class_histogram(app)
    d = fakes.artifacts / "simulator" / IPHONE15
    first, last = str(d / f"iteration-1-{app.pid}.memgraph"), str(d / f"iteration-2-{app.pid}.memgraph")
    assert fakes.tool_argvs() == [
        ["heap", str(app.pid)], ["leaks", "-outputGraph", first, str(app.pid)],
        ["heap", str(app.pid)], ["leaks", "-outputGraph", last, str(app.pid)],
        ["leaks", f"-diffFrom={first}", last],
    ]
    [diff] = target.leak_diffs
    assert [r.type for r in diff.new_roots] == ["A", "B"] and [r.type for r in diff.allowed_roots] == ["NSURL"]
    [note] = target.drain_events(app)
    assert "2 new leak root(s) since warm-up: A x1 (retain cycle), B x1 (retain cycle)" in note.detail
    assert note.data["memgraphs"] == [first, last] and Path(note.data["leaks_diff"]).exists()


def test_leaks_own_failure_is_kept_apart_from_leaks_found(fakes, monkeypatch):
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    app = target.attach(fakes.app.pid)
    monkeypatch.setenv("FAKE_LEAKS_OUTPUT", str(DATA / "leaks_output_ios_sim_symbolicator_no_stack.txt"))
    monkeypatch.setenv("FAKE_LEAKS_EXIT", "1")
    outcome = target.leaks_report(app)
    assert outcome.status == "leaks" and outcome.report.leaked_types == {"LeakySwiftObject": 2}
    monkeypatch.setenv("FAKE_LEAKS_OUTPUT", str(DATA / "leaks_output_ios_sim_bytebuddy_noleaks.txt"))
    monkeypatch.setenv("FAKE_LEAKS_EXIT", "0")
    assert target.leaks_report(app).status == "clean"
    monkeypatch.delenv("FAKE_LEAKS_OUTPUT")
    monkeypatch.setenv("FAKE_LEAKS_EXIT", "2")
    monkeypatch.setenv("FAKE_LEAKS_STDERR", "leaks cannot examine process 1 because it is not debuggable")
    with pytest.raises(NotSupported, match=r"leaks cannot inspect pid .*\(exit 2\).*not debuggable"):
        target.leaks_report(app)


def test_leaks_check_that_cannot_run_becomes_a_note_not_a_failure(fakes, monkeypatch):
    monkeypatch.setenv("FAKE_HEAP_OUTPUT", str(DATA / "heap_ios_sim_17_2.txt"))
    monkeypatch.setenv("FAKE_LEAKS_EXIT", "3")
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, attribution="on", simulator_leaks=True))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    target.drain_events(app)
    assert target.class_histogram(app)  # the histogram still counts
    [note] = target.drain_events(app)
    assert note.detail.startswith("leaks check did not run: leaks could not save a memgraph")


# -- jetsam ---------------------------------------------------------------------------------------------------
def test_jetsam_limit_from_override_or_the_emulated_models_row(fakes):
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, jetsam_limit="1.5GB"))
    assert target.jetsam_limit().bytes == 1_500_000_000 and "simulators enforce no limit" in target.jetsam_limit().source
    with pytest.raises(UsageError, match="--iosmem-jetsam-limit='lots'"):
        sim.create(ctx(fakes, simulator_udid=IPHONE15, jetsam_limit="lots"))
    vision = sim.create(ctx(fakes, simulator_udid=VISION))
    assert vision.jetsam_limit() is None  # a model with no public measurement: no guess, and why
    assert "no public measurement of RealityDevice14,1's jetsam limit" in vision.jetsam_limit_reason()


def test_a_known_model_and_release_gives_its_sourced_limit():
    from pytest_iosmem.values import Profile

    profile = Profile("simulator", "com.apple.CoreSimulator.SimDeviceType.iPhone-11", "iOS 13.7", "iPhone 11")
    target = sim.SimulatorTarget(sim.Simctl(), "U", profile, "iPhone12,1")
    assert target.jetsam_limit().bytes == 2068 * 1024**2 and "15200855" in target.jetsam_limit().source


# -- iosmem devices ------------------------------------------------------------------------------------------
def test_iosmem_devices_lists_simulators_through_xcrun(fakes):
    out = subprocess.run([sys.executable, "-m", "pytest_iosmem.cli", "devices"], capture_output=True, text=True,
                         env=os.environ.copy(), timeout=60)
    assert out.returncode == 0, out.stderr
    assert IPHONE15 in out.stdout and "simulator-ios_17.5-com.apple.coresimulator.simdevicetype.iphone-15" in out.stdout


# -- on a real Mac ---------------------------------------------------------------------------------------------
@pytest.mark.macos
@pytest.mark.skipif(sys.platform != "darwin", reason="needs a macOS host with Xcode")
def test_real_simctl_lists_and_parses():
    listing = sim.Simctl().list()
    assert listing.runtimes and listing.device_types


@pytest.mark.macos
@pytest.mark.skipif(sys.platform != "darwin", reason="needs a macOS host")
def test_real_host_footprint_of_this_process():
    r = sim.read_host_footprint(os.getpid())
    assert r.footprint > 1_000_000 and r.peak >= r.footprint


@pytest.mark.macos
@pytest.mark.skipif(sys.platform != "darwin", reason="needs a macOS host")
def test_real_heap_of_a_child_python(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        target = sim.SimulatorTarget(sim.Simctl(), "host", sim.Profile("simulator", "host", "macOS"),
                                     artifacts_dir=str(tmp_path))
        try:
            classes = target.class_histogram(target.attach(child.pid))
        except NotSupported as exc:  # e.g. SIP or a hardened runtime: said plainly, never zeros
            pytest.skip(str(exc))
        assert classes and all(c.count > 0 for c in classes)
    finally:
        child.kill()
        child.wait()


# -- a restricted process is scanned: its counts stand, with a note; a refused one is "not possible" -------
@pytest.mark.parametrize("recording, status, leaks", [
    ("leaks_not-debuggable_lilly-readme-macos13.txt", "clean", 0),
    ("leaks_not-debuggable_tulware-scanner-macos11.txt", "clean", 0),
    ("leaks_atExit_not-debuggable-but-1-leak_macos26-5-1_standardloop.txt", "leaks", 1),
])
def test_not_debuggable_keeps_its_counts_with_a_note(fakes, monkeypatch, recording, status, leaks):
    # Recorded: "Process N is not debuggable…" and then a real scan (the deliberate leak is found).
    monkeypatch.setenv("FAKE_LEAKS_OUTPUT", str(DATA / recording))
    monkeypatch.setenv("FAKE_LEAKS_EXIT", str(leaks and 1))
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    target.drain_events(app)
    outcome = target.leaks_report(app)
    assert outcome.status == status and outcome.report.leaks == leaks
    assert "contents of writable memory were not shown" in outcome.report.notes[0]
    path = target.save_memgraph(app, "x")  # the graph holds nodes and roots; the reader is told
    [note] = target.drain_events(app)
    assert path in note.detail and "restricted process" in note.detail


def test_the_not_debuggable_sentence_on_stderr_is_noted_too(fakes, monkeypatch):
    monkeypatch.setenv("FAKE_LEAKS_OUTPUT", str(DATA / "leaks_macos26_no_leaks.txt"))  # the run without its 1st line
    monkeypatch.setenv("FAKE_LEAKS_STDERR", "Process 45896 is not debuggable. Due to security restrictions, leaks "
                       "can only show or save contents of readonly memory of restricted processes.")
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    outcome = target.leaks_report(target.launch(AppSpec(bundle_id="com.example.app")))
    assert outcome.status == "clean" and outcome.report.restricted.startswith("Process 45896")


def test_a_diff_that_counts_leaks_but_shows_no_root_is_not_no_new_leak(fakes, monkeypatch, tmp_path):
    odd = tmp_path / "odd.txt"
    odd.write_text("Process 5: 3 leaks for 96 total leaked bytes.\n\n    3 (96 bytes) <unknown layout>\n")
    monkeypatch.setenv("FAKE_LEAKS_DIFF_OUTPUT", str(odd))
    monkeypatch.setenv("FAKE_LEAKS_DIFF_EXIT", "1")
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    with pytest.raises(NotSupported, match=r"counted 3 new leak\(s\) but printed no root line"):
        target.diff_memgraphs(str(tmp_path / "a.memgraph"), str(tmp_path / "b.memgraph"))


def test_a_refused_task_port_says_what_to_do(fakes, monkeypatch):
    # leaks' stderr against an iOS 26 simulator process on macOS 26 (a test-fixture string, see PROVENANCE.md)
    monkeypatch.setenv("FAKE_LEAKS_STDERR", (DATA / "leaks_outputGraph_error_macos26-sim_memorydetective-testfixture.txt")
                       .read_text().strip())
    monkeypatch.setenv("FAKE_LEAKS_EXIT", "2")
    monkeypatch.setenv("FAKE_HEAP_STDERR", "heap[4242]: task_for_pid(4243) failed: (os/kern) failure (5)")
    monkeypatch.setenv("FAKE_HEAP_EXIT", "1")
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, attribution="on", simulator_leaks=True))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    with pytest.raises(NotSupported, match="leak check not possible: the process's task port was refused "
                                           r"\(leaks: Failed to get DYLD info.*DevToolsSecurity"):
        target.leaks_report(app)
    with pytest.raises(NotSupported, match=r"heap: leak check not possible: .*task_for_pid\(4243\) failed"):
        target.class_histogram(app)


def test_inspection_refused_is_none_for_real_reports():
    from pytest_iosmem.parsers.leaks import inspection_refused

    for name in ("leaks_macos26_no_leaks.txt", "leaks_output_ios_sim_bytebuddy_cycle.txt",
                 "leaks_output_ios_sim_symbolicator_stacks.txt"):
        assert inspection_refused((DATA / name).read_text()) is None, name
