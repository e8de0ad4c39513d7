"""What an Appium session says about its app and device, read from real Appium server output
(tests/data/appium/PROVENANCE.md): a simulator session and a device session, each with and
without a bundle id, in the W3C (``appium:``) and the plain names."""

import json
import re
from pathlib import Path

import pytest

from pytest_iosmem.appium_glue import read_capabilities, session_facts, udid_kind
from pytest_iosmem.errors import UsageError

DATA = Path(__file__).parent / "data" / "appium"


def recorded(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def logged_w3c_caps(name: str) -> dict:
    """The ``"appium:x": value`` lines an XCUITest driver log shows of its W3C capabilities."""
    pairs = {}
    for line in (DATA / name).read_text().splitlines():
        m = re.search(r'^\[[^\]]*\] \[[^\]]*\]\s+("appium:[^"]+": .*?),?$', line)
        if m:
            pairs.update(json.loads("{" + m.group(1) + "}"))
    return pairs


class Driver:
    """Stands in for the Appium client's session object where only its ``capabilities`` are read
    (``WebDriver.capabilities``: the server's new-session answer); quitting it is never allowed."""

    def __init__(self, caps):
        self.capabilities, self.session_id = caps, "S"

    def execute_script(self, script, *args):  # pragma: no cover - not used here
        raise AssertionError("no command is sent while reading capabilities")

    def quit(self):  # pragma: no cover - the plugin never quits the user's session
        raise AssertionError("the plugin quit the user's session")


def test_simulator_session_appium1_plain_names_and_wda_bundle_id():
    facts = read_capabilities(recorded("getSession_result_sim_appium1_issue10201.json"))
    assert facts.bundle_id == "uk.co.santander.wallet"  # WDA's CFBundleIdentifier, merged in by Appium
    assert facts.udid == "88EF20D3-48DA-49E8-9626-40463E0E3BF2" and facts.device_kind == "simulator"
    assert (facts.platform, facts.platform_version, facts.device_name) == ("ios", "10.3", "iPhone 7 Plus")
    assert session_facts(Driver(recorded("getSession_result_sim_appium1_issue10201.json")), "driver", True) == facts


def test_simulator_session_w3c_without_a_bundle_id_is_one_line_naming_what_is_missing():
    caps = recorded("createSession_result_w3c_sim_appium2-1-3_tai2.json")["capabilities"]
    facts = read_capabilities(caps)
    assert facts.udid == "094788CA-AFD3-4EA7-BF02-461D6AF458B0" and facts.device_kind == "simulator"
    assert facts.bundle_id is None and facts.app.endswith("UIKitCatalog-iphonesimulator.app.zip")
    with pytest.raises(UsageError) as err:
        session_facts(Driver(caps), "driver", need_udid=True)
    msg = str(err.value)
    assert "\n" not in msg
    assert "fixture 'driver' does not say which app it drives: no bundleId" in msg
    assert "UIKitCatalog-iphonesimulator.app.zip" in msg and "appium:bundleId" in msg


def test_device_session_w3c_names():
    caps = logged_w3c_caps("w3c_caps_device_xcuitest_device-farm-issue457_excerpt.txt")
    assert caps["appium:udid"] == "00008030-001609210243C02E"
    facts = read_capabilities({"platformName": "iOS", **caps})
    assert facts.bundle_id == "com.apple.Preferences"
    assert facts.udid == "00008030-001609210243C02E" and facts.device_kind == "device"
    assert facts.device_name == "iPad"


def test_device_session_without_a_bundle_id_and_a_40_digit_udid():
    caps = recorded("createSession_result_device_appium1-6-6_issue8915.json")
    facts = read_capabilities(caps)
    assert facts.udid == "e5ee9c8a96156422a2a70f3af821f6bf83bd57cb" and facts.device_kind == "device"
    assert facts.bundle_id is None  # a Safari session
    with pytest.raises(UsageError, match="does not say which app it drives"):
        session_facts(Driver(caps), "my_driver", need_udid=True)


def test_no_udid_is_named_where_one_is_needed():
    with pytest.raises(UsageError) as err:
        session_facts(Driver({"platformName": "iOS", "bundleId": "a.b"}), "driver", need_udid=True)
    assert "does not say which device it drives: no udid" in str(err.value) and "\n" not in str(err.value)
    assert session_facts(Driver({"bundleId": "a.b"}), "driver", need_udid=False).bundle_id == "a.b"


def test_an_android_session_is_refused():
    with pytest.raises(UsageError, match="drives a Android session"):
        session_facts(Driver({"platformName": "Android", "appPackage": "x"}), "driver", need_udid=False)


@pytest.mark.parametrize("caps, bundle, udid", [
    ({"appium:options": {"bundleId": "a.b", "udid": "auto"}}, "a.b", None),  # "auto": asked, not resolved
    ({"desired": {"bundleId": "x.y"}, "udid": "E5EE9C8A96156422A2A70F3AF821F6BF83BD57CB"}, "x.y",
     "E5EE9C8A96156422A2A70F3AF821F6BF83BD57CB"),
    ({"CFBundleIdentifier": "local.pid.1477"}, None, None),  # WDA's placeholder when no app is bound
    ({"appium:bundleId": "  ", "deviceUDID": "F" * 40}, None, "F" * 40),
])
def test_name_variants(caps, bundle, udid):
    facts = read_capabilities(caps)
    assert (facts.bundle_id, facts.udid) == (bundle, udid)


def test_udid_shapes():
    assert udid_kind("094788CA-AFD3-4EA7-BF02-461D6AF458B0") == "simulator"
    assert udid_kind("00008110-001461543443801E") == "device"
    assert udid_kind("cf08d19c4c6ccf09825fd3f3108790d20ab1243e") == "device"
    assert udid_kind("emulator-5554") is None and udid_kind(None) is None


def test_bad_appium_options_are_named(tmp_path):
    from pytest_iosmem.settings import read_settings

    base = {"interval": "0.04", "wda_timeout": "30", "settle_timeout": "3", "iterations": "6", "warmup": "2"}
    values = {**base, "driver_fixture": "my-driver", "appium_url": "localhost:4723"}
    with pytest.raises(UsageError) as err:
        read_settings(values.get, lambda name: False, tmp_path)
    assert "--iosmem-driver-fixture='my-driver' is not a fixture name" in str(err.value)
    assert "--iosmem-appium-url='localhost:4723' is not an http(s) URL" in str(err.value)
    s = read_settings({**base, "driver_fixture": "ios_session"}.get, lambda name: False, tmp_path)
    assert (s.driver_fixture, s.appium_url) == ("ios_session", "http://127.0.0.1:4723")
