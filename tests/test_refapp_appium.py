"""The reference app through the real Appium Python client: W3C new session with ``appium:``
capabilities, elements, taps, and the ``mobile:`` commands an Appium server handles for WDA.

The client is unmodified (``webdriver.Remote`` with ``XCUITestOptions``); what it sends is what
it sends to a real Appium server, and the answers are checked against what it does with them.
"""

import json
import urllib.request

import pytest

pytest.importorskip("appium")

from appium import webdriver  # noqa: E402
from appium.options.ios import XCUITestOptions  # noqa: E402
from appium.webdriver.common.appiumby import AppiumBy  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402

from pytest_iosmem.refapp.appium import merge_capabilities, parse_mobile_script, strip_prefixes  # noqa: E402
from tests.test_refapp_wda import BUNDLE, start_refapp, stop  # noqa: E402


@pytest.fixture(scope="module")
def server():
    proc, url, _ = start_refapp()
    yield url
    stop(proc)


def state(url: str) -> dict:
    with urllib.request.urlopen(url + "/iosmem/state") as resp:
        return json.load(resp)["value"]


@pytest.fixture
def driver(server):
    options = XCUITestOptions().load_capabilities({"bundleId": BUNDLE, "deviceName": "iPhone 15"})
    d = webdriver.Remote(server, options=options)
    yield d
    d.quit()


def test_new_session_answers_with_the_stripped_capabilities(driver):
    caps = driver.capabilities
    assert caps["bundleId"] == BUNDLE and caps["platformName"] == "iOS" and caps["automationName"] == "XCUITest"
    assert caps["deviceName"] == "iPhone 15"  # what the client asked for, without "appium:"
    assert len(caps["udid"]) == 36 and "appium:bundleId" not in caps


def test_find_and_tap_open_a_screen_then_back(driver, server):
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "Clean").click()
    assert state(server)["depth"] == 2
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "Back").click()
    assert state(server)["depth"] == 1


def test_mobile_lifecycle_commands(driver, server):
    assert driver.query_app_state(BUNDLE) == 4  # running in the foreground
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "Clean").click()
    assert driver.terminate_app(BUNDLE) is True
    assert driver.query_app_state(BUNDLE) == 1
    assert driver.terminate_app(BUNDLE) is False  # not running: nothing to terminate
    driver.activate_app(BUNDLE)
    assert driver.query_app_state(BUNDLE) == 4 and state(server)["depth"] == 1  # launched fresh
    driver.execute_script("mobile: launchApp", {"bundleId": BUNDLE})
    assert driver.query_app_state(BUNDLE) == 4


def test_memory_warning_through_the_driver(driver, server):
    before = state(server)["memoryWarnings"]
    driver.execute_script("mobile: sendMemoryWarning", {"bundleId": BUNDLE})
    assert state(server)["memoryWarnings"] == before + 1


def test_unknown_and_wrong_commands_are_refused_as_appium_refuses_them(driver):
    with pytest.raises(WebDriverException, match='Unknown mobile command "shake"'):
        driver.execute_script("mobile: shake", {})
    with pytest.raises(WebDriverException, match="only mobile: commands"):
        driver.execute_script("return 1")
    with pytest.raises(WebDriverException, match="not installed"):
        driver.activate_app("com.example.other")
    assert driver.query_app_state("com.example.other") == 1


def test_session_for_another_app_or_platform_is_not_created(server):
    with pytest.raises(WebDriverException, match="not installed"):
        webdriver.Remote(server, options=XCUITestOptions().load_capabilities({"bundleId": "com.example.other"}))
    from appium.options.common import AppiumOptions

    with pytest.raises(WebDriverException, match="iOS app"):
        webdriver.Remote(server, options=AppiumOptions().load_capabilities({"platformName": "Android"}))


def test_capability_processing_is_w3c():
    body = {"capabilities": {"alwaysMatch": {"platformName": "iOS", "appium:bundleId": "a.b"},
                             "firstMatch": [{"appium:udid": "X"}, {"appium:udid": "Y"}]}}
    assert strip_prefixes(merge_capabilities(body)) == {"platformName": "iOS", "bundleId": "a.b", "udid": "X"}
    assert strip_prefixes({"appium:options": {"bundleId": "c.d"}}) == {"bundleId": "c.d"}
    with pytest.raises(ValueError, match="both"):
        merge_capabilities({"capabilities": {"alwaysMatch": {"a": 1}, "firstMatch": [{"a": 2}]}})
    assert parse_mobile_script("mobile:terminateApp") == "terminateApp"
    assert parse_mobile_script(" mobile: queryAppState ") == "queryAppState"
    assert parse_mobile_script("return 1") is None
