"""The app's lifecycle through the user's Appium session, and the fallback to the target's tools.

The session is real: the Appium Python client against the reference app, which answers the
``mobile:`` commands as an Appium server with the XCUITest driver does.  The simulator target
is stood in for (``SimTarget``) where it would run ``xcrun simctl``: finding the app's process
(launchd's job list names only a running app), launching, sending a memory warning.  Nothing
here may quit the session: the driver is wrapped so that ``quit()`` fails the test.
"""

import json
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("appium")

from appium import webdriver  # noqa: E402
from appium.options.ios import XCUITestOptions  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402

from pytest_iosmem.appium_glue import DriverLifecycle, driver_target  # noqa: E402
from pytest_iosmem.errors import TargetError, UsageError  # noqa: E402
from pytest_iosmem.run import IosMemRun  # noqa: E402
from pytest_iosmem.targets.base import App  # noqa: E402
from tests.test_refapp_wda import BUNDLE, start_refapp, stop  # noqa: E402


def state(url):
    with urllib.request.urlopen(url + "/iosmem/state") as resp:
        return json.load(resp)["value"]


class NoQuit:
    """The user's session: every call goes to the real client, except ``quit`` (the user's alone)."""

    def __init__(self, driver, refuse=()):
        self._driver, self.refuse = driver, set(refuse)

    def execute_script(self, script, *args):
        name = script.split(":", 1)[1].strip()
        if name in self.refuse:  # as the XCUITest driver refuses sendMemoryWarning on a simulator
            raise WebDriverException(f"'{name}' is only supported on real devices")
        return self._driver.execute_script(script, *args)

    def quit(self):
        raise AssertionError("the plugin quit the user's Appium session")

    def __getattr__(self, name):
        return getattr(self._driver, name)


class SimTarget:
    """Stands in for the simulator target: ``attach_bundle`` finds a pid only while the app runs
    (as launchd's job list does), ``launch`` (simctl launch) starts it, warnings are counted."""

    kind = "simulator"

    def __init__(self, url, pid, udid):
        self.url, self.pid, self.udid = url, pid, udid
        self.launched, self.terminated, self.warnings = [], [], 0

    def attach_bundle(self, bundle_id):
        if bundle_id != BUNDLE or state(self.url)["appState"] == 1:
            raise TargetError(f"{bundle_id} is not running on simulator {self.udid}")
        return App(self.pid, bundle_id, self.kind, bundle_id=bundle_id, launched=False)

    def launch(self, spec):
        self.launched.append(spec.bundle_id)
        return App(self.pid, spec.bundle_id, self.kind, bundle_id=spec.bundle_id)

    def memory_warning(self, app):
        self.warnings += 1

    def terminate(self, app):  # as the simulator target: only an app it launched is stopped
        if app.launched and app.bundle_id:
            self.terminated.append(app.bundle_id)

    def profile(self):  # pragma: no cover - not judged here
        raise AssertionError


@pytest.fixture(scope="module")
def server():
    proc, url, _ = start_refapp()
    yield url, proc.pid
    stop(proc)


@pytest.fixture
def driver(server):
    url, _ = server
    real = webdriver.Remote(url, options=XCUITestOptions().load_capabilities({"bundleId": BUNDLE}))
    yield NoQuit(real)
    real.execute_script("mobile: queryAppState", {"bundleId": BUNDLE})  # the session is still there
    real.quit()


@pytest.fixture
def target(server, driver):
    url, pid = server
    return SimTarget(url, pid, driver.capabilities["udid"])


def test_relaunch_goes_through_the_driver_and_finds_the_process(driver, target, server):
    url, pid = server
    driver.find_element("accessibility id", "Clean").click()
    assert state(url)["depth"] == 2
    life = DriverLifecycle(driver, target, BUNDLE)
    app = life.relaunch()
    assert [c for c, _ in life.sent] == ["terminateApp", "launchApp"] and {a for _, a in life.sent} == {"ok"}
    assert (app.pid, app.bundle_id, app.launched) == (pid, BUNDLE, False)
    assert state(url)["depth"] == 1 and state(url)["appState"] == 4  # fresh
    assert target.launched == [] and life.notes == []
    assert life.state() == 4


def test_memory_warning_goes_through_the_driver(driver, target, server):
    url, _ = server
    before = state(url)["memoryWarnings"]
    driver_target(target, DriverLifecycle(driver, target, BUNDLE)).memory_warning(
        App(1, BUNDLE, "simulator", bundle_id=BUNDLE))
    assert state(url)["memoryWarnings"] == before + 1 and target.warnings == 0


def test_refused_commands_fall_back_to_the_target_and_say_so(driver, target, server):
    url, _ = server
    refusing = NoQuit(driver._driver, refuse={"sendMemoryWarning", "terminateApp"})
    life = DriverLifecycle(refusing, target, BUNDLE)
    before = state(url)["memoryWarnings"]
    life.memory_warning(App(1, BUNDLE, "simulator", bundle_id=BUNDLE))
    assert target.warnings == 1 and state(url)["memoryWarnings"] == before
    app = life.relaunch()
    assert target.launched == [BUNDLE] and app.launched is False  # the session's app: never stopped
    assert life.sent == [("sendMemoryWarning", "refused: 'sendMemoryWarning' is only supported on real devices"),
                         ("terminateApp", "refused: 'terminateApp' is only supported on real devices")]
    assert [n.split(":")[0] for n in life.notes] == ["memory warning", "relaunch"]
    assert all("driver refused" in n and "simulator target" in n for n in life.notes)


def test_an_error_that_is_not_a_refusal_is_not_hidden(target):
    class Broken:
        def execute_script(self, *a):
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        DriverLifecycle(Broken(), target, BUNDLE).relaunch()


class Reader:
    """The run's options as OptionReader gives them (command line, else ini, else None)."""

    def __init__(self, **values):
        self.values = {"interval": "0.04", "wda_timeout": "30", "settle_timeout": "3", "iterations": "6",
                       "warmup": "2", **values}

    def __call__(self, name):
        return self.values.get(name)

    def flag(self, name):
        return bool(self.values.get(name))


def test_the_run_attaches_to_the_sessions_app_on_the_sessions_simulator(driver, target, server, monkeypatch, tmp_path):
    url, pid = server
    made = []

    def create_target(kind, ctx):  # the seam where the simulator target would run xcrun simctl
        made.append((kind, ctx.option("simulator_udid")))
        return target

    monkeypatch.setattr("pytest_iosmem.targets.create_target", create_target)
    run = IosMemRun(Reader(target="simulator"), tmp_path)
    driver.find_element("accessibility id", "Clean").click()
    app, life = run.acquire_from_driver(driver, "driver")
    assert made == [("simulator", driver.capabilities["udid"])]  # the session's device picked the simulator
    assert (app.pid, app.bundle_id, app.launched) == (pid, BUNDLE, False)
    assert state(url)["depth"] == 1  # relaunched per test, through the driver
    run.release_app(app)  # attached: never stopped
    assert target.terminated == [] and state(url)["appState"] == 4


def test_the_run_refuses_a_session_on_another_device(driver, target, tmp_path):
    run = IosMemRun(Reader(target="simulator"), tmp_path)
    run._target = SimTarget(target.url, target.pid, "11111111-2222-3333-4444-555555555555")
    with pytest.raises(UsageError, match="drives .* but this worker's simulator is 11111111"):
        run.acquire_from_driver(driver, "driver")
    run = IosMemRun(Reader(target="device"), tmp_path)
    with pytest.raises(UsageError, match=r"drives a simulator \(.*\), but the target is --iosmem-target=device"):
        run.acquire_from_driver(driver, "driver")


def test_session_relaunch_keeps_the_running_app(driver, target, server, tmp_path):
    url, _ = server
    run = IosMemRun(Reader(target="simulator", relaunch="session"), tmp_path)
    run._target = target
    driver.find_element("accessibility id", "Clean").click()
    app, life = run.acquire_from_driver(driver, "driver")
    assert state(url)["depth"] == 2 and [c for c, _ in life.sent] == ["queryAppState"]


def test_the_driver_view_is_the_same_target_with_its_abilities(driver, target, tmp_path):
    """Protocols are checked statically on Python 3.12+ (inspect.getattr_static): the view must
    have the target's methods on its class, and share its state."""
    from pytest_iosmem.attribution.capture import StackSource
    from pytest_iosmem.targets.local import LocalTarget

    local = LocalTarget()
    view = driver_target(local, DriverLifecycle(driver, local, BUNDLE))
    assert isinstance(view, LocalTarget) and isinstance(view, StackSource) and view.kind == "local"
    view.handler_timeout = 1.5
    assert local.handler_timeout == 1.5 and view.lifecycle.bundle_id == BUNDLE
