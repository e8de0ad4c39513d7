"""Allocation stacks on a device: launched with stack logging, the memgraph read by malloc_history on a Mac,
kept (and said so) elsewhere.  The device is the recorded session of test_device; malloc_history is the
man-page-checked stand-in in tests/fakes, replaying a recorded output."""

import os

import pytest

from pytest_iosmem.errors import NotSupported
from pytest_iosmem.attribution.capture import StackCapture
from pytest_iosmem.targets import malloc_history as mh
from pytest_iosmem.targets.base import AppSpec
from pytest_iosmem.targets.device import DeviceTarget, MemoryGraph

from .helpers import fakes_path
from .test_device import RecordedSession
from .test_simulator import DATA


def test_attribution_launches_with_stack_logging_only_when_on():
    session = RecordedSession()
    DeviceTarget(session, stack_logging=True).launch(AppSpec(bundle_id="com.example.app", env={"A": "1"}))
    DeviceTarget(session).launch(AppSpec(bundle_id="com.example.app", env={"A": "1"}))
    envs = [c[3] for c in session.calls if c[0] == "launch"]
    assert envs == [{"A": "1", "MallocStackLogging": "1"}, {"A": "1"}]


def test_on_a_mac_the_memgraph_is_read_with_malloc_history(tmp_path, monkeypatch):
    monkeypatch.setattr(mh, "available", lambda: True)  # stands for: a Mac with malloc_history
    monkeypatch.setenv("PATH", fakes_path())
    monkeypatch.setenv("FAKE_MALLOC_HISTORY_OUTPUTS", str(DATA / "malloc_history_allBySize_craftware-tip-safari-2018.txt"))
    log = tmp_path / "tools.log"
    monkeypatch.setenv("FAKE_TOOLS_LOG", str(log))
    target = DeviceTarget(RecordedSession(), stack_logging=True, stacks_dir=str(tmp_path))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    gen = target.allocation_stacks(app)
    graph = tmp_path / f"stacks-1-{app.pid}.memgraph"
    assert graph.read_bytes() == b"memgraph-bytes"
    assert log.read_text().strip() == f'{{"argv": ["malloc_history", "{graph}", "-allBySize"]}}'
    assert gen.stacks[0].bytes == 1003520 and gen.source == "malloc_history -allBySize"
    assert (tmp_path / f"stacks-1-{app.pid}.malloc_history.txt").exists()


def test_elsewhere_the_stacks_need_a_mac_and_both_memgraphs_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(mh, "available", lambda: False)
    target = DeviceTarget(RecordedSession(), stack_logging=True, stacks_dir=str(tmp_path))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    with pytest.raises(mh.Deferred, match="allocation stacks need a Mac") as info:
        target.allocation_stacks(app)
    assert os.path.exists(info.value.path)

    mem = StackCapture(target, app, [])
    mem.capture("first")
    mem.capture("last")
    assert mem.generations == {}
    assert len(mem.notes) == 2 and all("need a Mac" in n for n in mem.notes)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"stacks-{i}-{app.pid}.memgraph" for i in (1, 2, 3)]


def test_no_graph_from_the_leaks_channel_is_not_supported(tmp_path):
    target = DeviceTarget(RecordedSession(graph=MemoryGraph(None, 0)), stack_logging=True, stacks_dir=str(tmp_path))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    with pytest.raises(NotSupported, match="returned no memory graph"):
        target.allocation_stacks(app)


@pytest.mark.slow
def test_a_measurement_on_a_device_reads_both_generations_though_it_has_no_class_histogram(tmp_path, monkeypatch):
    """The device has no class histogram (NotSupported): the stacks must still be read at the last iteration."""
    from pytest_iosmem.measure import IosMem
    from pytest_iosmem.verdict.policy import Policy
    from pytest_iosmem.settle import SettleConfig
    from pytest_iosmem.targets.base import Reading

    monkeypatch.setattr(mh, "available", lambda: False)
    # sysmontap at 50 ms, not the default 500 ms: settling reads at the target's rate, and this test is not about it
    target = DeviceTarget(RecordedSession(), interval_ms=50, stack_logging=True, stacks_dir=str(tmp_path))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    monkeypatch.setattr(target, "read", lambda a: Reading(50_000_000))  # the sysmon stream's seam
    mem = IosMem(target, app, Policy(), interval=0.05, settle=SettleConfig(max_wait=0.2), attribution=True)
    try:
        for _ in mem.iterations(3, warmup=1):
            pass
    finally:
        mem.finish()
    assert sum("attribution unavailable" in n for n in mem.notes) == 1
    assert sum("need a Mac" in n for n in mem.notes) == 2
    assert len(list(tmp_path.glob("stacks-*.memgraph"))) == 2
