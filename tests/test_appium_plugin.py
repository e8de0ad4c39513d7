"""Appium tests gated on the local target, through the real Appium Python client (pytester, as users run it).

The reference app is both the app under test and the server the client talks to (it answers as
an Appium server with the XCUITest driver would); the plugin launches it per test and per A/B
trial, the suite's own ``driver`` fixture opens the session on ``iosmem_appium_url``.
"""

import json
import sys

import pytest

pytest.importorskip("appium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (sys.platform.startswith("linux") or sys.platform == "darwin"), reason="local target"),
]

REFAPP = f"{sys.executable} -m pytest_iosmem.refapp --port 0"

CONFTEST = """
import pytest
from appium import webdriver
from appium.options.ios import XCUITestOptions

@pytest.fixture
def {name}(iosmem_appium_url):
    session = webdriver.Remote(iosmem_appium_url, options=XCUITestOptions().load_capabilities({caps}))
    yield session
    # the plugin has not quit it: the session still answers (an error here fails the test's teardown)
    assert session.query_app_state("com.example.refapp") in (1, 2, 3, 4)
    session.quit()
"""

GATES = """
import pytest
from appium.webdriver.common.appiumby import AppiumBy

def visit(driver, screen):
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, screen).click()
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "Back").click()

@pytest.mark.iosmem(reclaim_after_warning="1MB", leak_per_iteration=None)
def test_warning_through_the_session({name}, iosmem):
    for _ in range(4):
        visit({name}, "Purging Cache")
    {name}.find_element(AppiumBy.ACCESSIBILITY_ID, "Purging Cache").click()
    iosmem.memory_warning()
    assert ("sendMemoryWarning", "ok") in iosmem.target.lifecycle.sent

@pytest.mark.iosmem(leak_per_iteration="128KB")
def test_leaky({name}, iosmem):
    for _ in iosmem.iterations(6, warmup=2):
        visit({name}, "Retain Cycle")

@pytest.mark.iosmem(max_growth="5%")
def test_body({name}, iosmem):
    visit({name}, "{screen}")
"""


def setup_suite(pytester, name="driver", caps='{"bundleId": "com.example.refapp"}', screen="Clean"):
    pytester.makeconftest(CONFTEST.format(name=name, caps=caps))
    pytester.makepyfile(test_gates=GATES.format(name=name, screen=screen))


def results(pytester):
    doc = json.loads((pytester.path / "r.json").read_text())
    return {r["nodeid"].split("::", 1)[1]: r for r in doc["tests"]}


def test_an_appium_suite_is_gated_and_its_session_left_alone(pytester):
    setup_suite(pytester)
    res = pytester.runpytest("-p", "no:cacheprovider", "--iosmem-json=r.json")
    res.assert_outcomes(passed=2, failed=1)
    out = res.stdout.str()
    assert "leak" in out and "test_leaky" in out
    r = results(pytester)
    assert [f["kind"] for f in r["test_leaky"]["findings"]][:1] == ["leak"]
    assert r["test_warning_through_the_session"]["metrics"]["reclaimed"] > 1_000_000


def test_the_driver_fixture_is_named_by_option(pytester):
    setup_suite(pytester, name="my_session")
    res = pytester.runpytest("-p", "no:cacheprovider", "--iosmem-driver-fixture=my_session", "-k", "warning")
    res.assert_outcomes(passed=1)


def test_a_session_that_names_no_app_is_one_line_naming_what_is_missing(pytester):
    setup_suite(pytester, caps='{"deviceName": "iPhone 15"}')
    res = pytester.runpytest("-p", "no:cacheprovider", "-k", "body")
    res.assert_outcomes(errors=1)
    res.stdout.fnmatch_lines(["*iosmem: the Appium session of fixture 'driver' does not say which app it drives: "
                              "no bundleId in its capabilities; add 'appium:bundleId' to its options*"])


def test_repeat_on_an_appium_test(pytester):
    setup_suite(pytester)
    res = pytester.runpytest("-p", "no:cacheprovider", "--iosmem-repeat=4:1", "--iosmem-json=r.json", "-k", "body")
    res.assert_outcomes(passed=1)
    r = results(pytester)["test_body"]
    # 4 planned; the sequential leak rule cannot decide before 6 readings (tests/test_repeat.py), so the
    # loop runs the Appium body twice more: 6 measured + 1 warm-up, all through the same session
    assert r["metrics"]["leak"]["n"] == 6 and len(r["timeline"]["iterations"]) == 7 and r["findings"] == []
    assert {d["outcome"] for d in r["decisions"]} == {"clear"}


def test_ab_on_an_appium_test(pytester):
    setup_suite(pytester)
    res = pytester.runpytest("-p", "no:cacheprovider", f"--iosmem-base-app={REFAPP}",
                             f"--iosmem-app={REFAPP} --regress 3MB", "--iosmem-json=r.json", "-k", "body")
    res.assert_outcomes(failed=1)
    ab = results(pytester)["test_body"]["ab"]
    assert ab["outcome"] == "finding" and ab["metrics"]["end"]["diff"] == pytest.approx(3_000_000, rel=0.1)
    assert [t["build"] for t in ab["trials"][:4]] == ["base", "head", "head", "base"]


def test_the_plugins_own_appium_driver(pytester):
    pytester.makepyfile(test_own="""
import pytest
from appium.webdriver.common.appiumby import AppiumBy

@pytest.mark.iosmem(max_peak="150MB")
def test_clean(appium_driver, iosmem):
    appium_driver.find_element(AppiumBy.ACCESSIBILITY_ID, "Clean").click()
    assert appium_driver.capabilities["bundleId"] == "com.example.refapp"
    iosmem.memory_warning()
    assert iosmem.target.lifecycle.sent[-1] == ("sendMemoryWarning", "ok")
""")
    res = pytester.runpytest("-p", "no:cacheprovider")
    res.assert_outcomes(passed=1)


def test_a_session_on_another_server_than_the_app_under_test_is_refused(pytester):
    from tests.test_refapp_wda import start_refapp, stop

    proc, other, _ = start_refapp()
    try:
        pytester.makeconftest(CONFTEST.format(name="driver", caps='{"bundleId": "com.example.refapp"}')
                              .replace("webdriver.Remote(iosmem_appium_url", f"webdriver.Remote({other!r}"))
        pytester.makepyfile(test_gates=GATES.format(name="driver", screen="Clean"))
        res = pytester.runpytest("-p", "no:cacheprovider", "-k", "body")
        res.assert_outcomes(errors=1)
        res.stdout.fnmatch_lines([f"*the Appium session of fixture 'driver' talks to {other}, but the app under "
                                  "test serves http://127.0.0.1:*: create it on the iosmem_appium_url fixture*"])
    finally:
        stop(proc)
