"""Issue 14, items 3, 4, 5, 10: WebDriverAgent started right, before the app; the memory warning's two ways.

Against the stand-ins on PATH (tests/fakes): ``xcodebuild`` serves like
WebDriverAgent does (its URL's host is ``USE_IP`` else the Mac's Wi-Fi
address, its port ``USE_PORT`` else 8100, both handed over by xcodebuild from
``TEST_RUNNER_USE_IP`` / ``TEST_RUNNER_USE_PORT``), after a delay; ``xcrun``
replays simctl.  Both write to one ordered event log, so the order in which
the target does things is what the log shows.
"""

from __future__ import annotations

import json

import pytest

from pytest_iosmem.errors import TargetError, WarningUnconfirmed
from pytest_iosmem.targets import simulator as sim
from pytest_iosmem.targets.base import AppSpec

from .test_simulator import IPHONE15, WARN, WARN_FALLBACK, ctx, fakes, is_log_show  # noqa: F401 - fixture

EN0 = "192.168.1.23"  # what WDA prints when USE_IP is not set: the Mac's Wi-Fi address


@pytest.fixture
def wda_env(fakes, tmp_path, monkeypatch):  # noqa: F811
    xctestrun = tmp_path / "WebDriverAgentRunner_iphonesimulator18.5-arm64.xctestrun"
    xctestrun.write_text("<plist/>")
    events = tmp_path / "events.log"
    monkeypatch.delenv("FAKE_WDA_URL", raising=False)
    monkeypatch.setenv("FAKE_WDA_EN0", EN0)
    monkeypatch.setenv("FAKE_WDA_DELAY", "1.5")
    monkeypatch.setenv("FAKE_EVENTS_LOG", str(events))
    return xctestrun, events


def _events(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_wda_serves_before_the_app_is_launched_and_its_url_is_the_loopback_one(fakes, wda_env):  # noqa: F811
    xctestrun, events = wda_env
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, simulator_xctestrun=str(xctestrun)))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    try:
        order = [e.get("event") or " ".join(e["argv"][:2]) for e in _events(events)]
        served = order.index("served")
        launched = order.index("simctl launch")
        assert served < launched, order  # the runner's own launch is over before the app takes the front
        assert app.wda_url == "http://127.0.0.1:8100"  # TEST_RUNNER_USE_IP: not the Wi-Fi address
        assert target.wda_url(app, 1) == "http://127.0.0.1:8100"
        assert fakes.tool_argvs() == [["xcodebuild", "test-without-building", "-xctestrun", str(xctestrun),
                                       "-destination", f"id={IPHONE15}"]]  # this simulator, by UDID
        assert target.wda.env == {"TEST_RUNNER_USE_IP": "127.0.0.1"}  # one process: WDA picks its port
    finally:
        target.close()


def test_without_use_ip_wda_would_print_the_wifi_address(fakes, wda_env):  # noqa: F811
    """The stand-in's side of the contract: what WDA prints when nobody sets USE_IP (why the target sets it)."""
    xctestrun, _ = wda_env
    runner = sim.WdaRunner(str(xctestrun), IPHONE15, fakes.artifacts / "wda.log", bind_ip="")
    runner.start()
    try:
        assert runner.url(20) == f"http://{EN0}:8100"
    finally:
        runner.stop()


def test_each_xdist_worker_starts_wda_on_its_own_port(fakes, wda_env):  # noqa: F811
    xctestrun, _ = wda_env
    target = sim.create(ctx(fakes, worker_id="gw3", simulator_udid=IPHONE15, simulator_xctestrun=str(xctestrun)))
    try:
        app = target.launch(AppSpec(bundle_id="com.example.app"))
        assert target.wda.env == {"TEST_RUNNER_USE_IP": "127.0.0.1", "TEST_RUNNER_USE_PORT": "8103"}
        assert app.wda_url == "http://127.0.0.1:8103"
    finally:
        target.close()


def test_wda_that_fails_stops_the_launch_naming_its_log(fakes, wda_env, monkeypatch):  # noqa: F811
    xctestrun, events = wda_env
    monkeypatch.delenv("FAKE_WDA_EN0")  # the stand-in exits 65, like a test run without signing
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15, simulator_xctestrun=str(xctestrun)))
    with pytest.raises(TargetError, match=r"ended \(exit 65\) before serving; its log: .*wda-xcodebuild.log"):
        target.launch(AppSpec(bundle_id="com.example.app"))
    assert not any(e.get("argv", [None, None])[1] == "launch" for e in _events(events))  # the app was not launched
    target.close()


# -- item 10: the memory warning ----------------------------------------------------------------------
def test_memory_warning_uses_notify_post(fakes):  # noqa: F811
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    target.memory_warning(app)
    assert fakes.argvs()[-2] == WARN and is_log_show(fakes.argvs()[-1], app.pid)
    [note] = [e for e in target.drain_events(app) if "confirmed" in e.detail]
    assert note.detail.endswith("Received memory warning.") and f"App[{app.pid}:" in note.detail


def test_a_posted_warning_the_app_never_logs_is_unconfirmed_not_a_failure(fakes, monkeypatch):  # noqa: F811
    # notify_post exits 0 whether or not the app got anything; nothing in its log says it did
    monkeypatch.setenv("FAKE_XCRUN_LOG_SHOW", "none")
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    target.warning_confirm_timeout = 0.6
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    with pytest.raises(WarningUnconfirmed, match=rf"posted to simulator {IPHONE15} but not confirmed: no log line of "
                                                 rf"pid {app.pid} mentions a memory warning within 0.6s; the reclaim"):
        target.memory_warning(app)
    assert WARN in fakes.argvs() and sum(is_log_show(a, app.pid) for a in fakes.argvs()) >= 2  # asked again


def test_a_log_that_cannot_be_read_leaves_the_warning_unconfirmed(fakes, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FAKE_XCRUN_LOG_SHOW_EXIT", "1")
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    with pytest.raises(WarningUnconfirmed, match=r"the simulator's log could not be read \(.*Could not open log"):
        target.memory_warning(app)


def test_memory_warning_falls_back_to_notifyutil_when_simctl_has_no_notify_post(fakes, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FAKE_XCRUN_REFUSE", "notify_post")
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    target.memory_warning(app)
    assert fakes.argvs()[-3:-1] == [WARN, WARN_FALLBACK]


def test_memory_warning_that_fails_both_ways_names_both(fakes, monkeypatch):  # noqa: F811
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    app = target.launch(AppSpec(bundle_id="com.example.app"))
    monkeypatch.setenv("FAKE_XCRUN_LIST", str(fakes.artifacts.parent / "empty.json"))  # the simulator is gone
    (fakes.artifacts.parent / "empty.json").write_text('{"devices": {}}')
    with pytest.raises(TargetError, match=r"no memory warning was posted: .*notify_post.*Invalid device.*; then "
                                          r".*notifyutil.*Invalid device"):
        target.memory_warning(app)
