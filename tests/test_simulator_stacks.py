"""Allocation stacks on the simulator target, at the stand-in seam.

``tests/fakes/malloc_history`` stands in for Apple's tool: it accepts and rejects
command lines as the man page's synopsis says, and replays recorded outputs
(tests/data/malloc_history_*, PROVENANCE.md).  A generation diff needs two
outputs; the second is the 2007 recording with one record grown (made here, in
tmp_path, and said so), since no public pair of recordings of one app exists.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pytest_iosmem.errors import NotSupported
from pytest_iosmem.measure import IosMem
from pytest_iosmem.verdict.policy import Policy
from pytest_iosmem.settle import SettleConfig
from pytest_iosmem.targets import malloc_history as mh
from pytest_iosmem.targets import simulator as sim
from pytest_iosmem.targets.base import AppSpec

from .test_simulator import DATA, FAKES, IPHONE15, ctx, fakes  # noqa: F401 - fakes is a fixture

ALL_BY_SIZE = DATA / "malloc_history_all_by_size_git-mailinglist-2007.txt"
CALL_TREE = DATA / "malloc_history_callTree_chama-optics-issue5-xcode26.txt"


def run_fake(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(FAKES / "malloc_history"), *args], capture_output=True, text=True,
                          env={**os.environ, **env})


@pytest.mark.parametrize(
    "args, ok",
    [
        (["1234", "-allBySize"], True),
        (["1234", "-allBySize", "-highWaterMark", "0x10"], True),
        (["MyApp", "-callTree", "-showContent", "-invert", "-ignoreThreads", "-collapseRecursion",
          "-chargeSystemLibraries", "-virtual", "NSString*"], True),
        (["1234", "0x7698222"], True),  # one address's history
        (["1234", "-allEvents", "-showContent"], True),
        (["1234"], False),  # neither an address nor a mode
        (["-allBySize", "1234"], False),  # the process comes first
        (["1234", "-allBySize", "-callTree"], False),  # one mode
        (["1234", "-allBySize", "-showContent"], False),  # -showContent is for -allEvents/-callTree
        (["1234", "-allEvents", "0x10"], False),  # -allEvents takes no address
        (["1234", "-allBySize", "NSString*"], False),  # only -callTree takes a classes pattern
        (["/no/such.memgraph", "-allBySize"], False),
        (["1234", "--all-by-size"], False),
    ],
)
def test_the_stand_in_follows_the_man_page_synopsis(args, ok):
    assert (run_fake(*args).returncode == 0) is ok


def test_the_command_line_the_targets_run_is_one_the_tool_accepts(tmp_path):
    graph = tmp_path / "a.memgraph"
    graph.write_text("stand-in memgraph")
    for source in (1234, str(graph)):
        assert run_fake(*mh.argv(source)[1:]).returncode == 0
    with pytest.raises(ValueError):
        mh.argv(1, "-allEvents")


@pytest.fixture
def grown(tmp_path):
    path = tmp_path / "after-allBySize.txt"  # the 2007 recording, one record grown by 4 x 52000 bytes
    text = ALL_BY_SIZE.read_text()
    path.write_text(text.replace("1 calls for 52000 bytes", "5 calls for 260000 bytes"))
    return path


@pytest.mark.slow
def test_attribution_on_gives_stacks_at_the_histogram_moments(fakes, monkeypatch, tmp_path, grown):  # noqa: F811
    monkeypatch.setenv("FAKE_HEAP_OUTPUT", str(DATA / "heap_ios_sim_17_2.txt"))
    monkeypatch.setenv("FAKE_MALLOC_HISTORY_OUTPUTS", os.pathsep.join([str(ALL_BY_SIZE), str(grown)]))
    monkeypatch.setenv("FAKE_MALLOC_HISTORY_STATE", str(tmp_path / "mh.state"))
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, attribution="on"))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    # launched with stack logging: simctl passes SIMCTL_CHILD_* to the app
    assert fakes.xcrun_calls()[-1]["env"] == {"SIMCTL_CHILD_MallocStackLogging": "1"}
    mem = IosMem(target, app, Policy(), interval=0.05, settle=SettleConfig(max_wait=0.3), attribution=True)
    try:
        for _ in mem.iterations(5, warmup=1):
            pass
    finally:
        mem.finish()
    assert set(mem.generations) == {"first", "last"}
    assert [a for a in fakes.tool_argvs() if a[0] == "malloc_history"] == [
        ["malloc_history", str(app.pid), "-allBySize"]] * 2
    from pytest_iosmem.attribution.stacks import grown_stacks

    (row,) = grown_stacks(mem.generations["first"], mem.generations["last"], iterations=4)
    assert row.site == "new_tree_entry" and row.bytes_per_iteration == 52000
    raw = fakes.artifacts / "simulator" / IPHONE15 / f"malloc_history-{app.pid}-1.txt"
    assert raw.read_text().startswith("Deallocation of 5020b0")


def test_stack_logging_lite_from_the_app_env_is_kept(fakes):  # noqa: F811
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, attribution="on"))
    target.launch(AppSpec(bundle_id="com.example.app", env={"MallocStackLogging": "lite"}))
    assert fakes.xcrun_calls()[-1]["env"] == {"SIMCTL_CHILD_MallocStackLogging": "lite"}


def test_a_call_tree_generation_is_read_too(fakes, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FAKE_MALLOC_HISTORY_OUTPUTS", str(CALL_TREE))
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, attribution="on"))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    gen = target.allocation_stacks(app)
    assert gen.source == "malloc_history -callTree"
    assert any(n.startswith("Stack logging was dynamically enabled") for n in gen.notes)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"FAKE_MALLOC_HISTORY_EXIT": "1", "FAKE_MALLOC_HISTORY_STDERR": "malloc_history: process 9 has no stack logs"},
         r"malloc_history cannot read stacks of \d+ \(exit 1\): .*no stack logs.*MallocStackLogging"),
        ({"FAKE_MALLOC_HISTORY_OUTPUTS": str(DATA / "heap_ios_sim_17_2.txt")}, "cannot parse malloc_history output"),
        ({"FAKE_MALLOC_HISTORY_OUTPUTS": str(DATA / "malloc_history_address_gipi-blog-2010.txt")},
         "address history"),
    ],
)
def test_the_tools_failure_is_not_supported_never_an_empty_generation(fakes, monkeypatch, env, message):  # noqa: F811
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, attribution="on"))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    with pytest.raises(NotSupported, match=message):
        target.allocation_stacks(app)


def test_no_malloc_history_on_path_is_said(fakes, monkeypatch, tmp_path):  # noqa: F811
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    app = target.attach(fakes.app.pid)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NotSupported, match="no 'malloc_history' on PATH"):
        target.allocation_stacks(app)
