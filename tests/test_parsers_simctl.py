"""simctl parsers on real recorded outputs of several Xcode generations (tests/data/PROVENANCE.md)."""

from pathlib import Path

import pytest

from pytest_iosmem.errors import ParseError
from pytest_iosmem.parsers.simctl import (
    parse_launch_pid,
    parse_launchctl_pid,
    parse_list,
    parse_text_devices,
    runtime_label,
)

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_xcode16_devicetypes_runtimes_devices():
    lst = parse_list(read("simctl_list_xcode16.json"))
    t = lst.device_types["com.apple.CoreSimulator.SimDeviceType.iPhone-14-Pro"]
    assert (t.name, t.product_family, t.model_identifier) == ("iPhone 14 Pro", "iPhone", "iPhone15,2")
    r = lst.runtimes["com.apple.CoreSimulator.SimRuntime.iOS-17-5"]
    assert (r.name, r.version, r.platform, r.available, r.build) == ("iOS 17.5", "17.5", "iOS", True, "21F79")
    iphones = [d for d in lst.devices if d.name.startswith("iPhone") and d.available]
    assert iphones and all(len(d.udid) == 36 and d.device_type.startswith("com.apple.") for d in iphones)
    assert runtime_label(lst, iphones[0]).startswith("iOS ")
    vision = lst.find("abecf68b-bc4c-44b3-bc32-f9aac93692cb")  # case-insensitive
    assert vision.name == "Apple Vision Pro" and lst.device_type_of(vision).product_family == "Apple Vision"


def test_xcode14_keeps_unavailable_devices_and_their_reason():
    lst = parse_list(read("simctl_list_xcode14.json"))
    tv = lst.find("3B8C5C9A-0407-4FB4-A6D0-24B15EEF0110")
    assert tv.available is False and tv.availability_error == "runtime profile not found"
    assert tv.device_type.endswith("Apple-TV-4K-2nd-generation-4K")


def test_xcode12_older_runtime_schema():
    lst = parse_list(read("simctl_list_xcode12.json"))
    r = lst.runtimes["com.apple.CoreSimulator.SimRuntime.iOS-14-4"]
    assert (r.name, r.version, r.platform) == ("iOS 14.4", "14.4", "iOS")  # no "platform" key: from the name
    assert all(t.model_identifier == "" for t in lst.device_types.values())  # not listed before Xcode 13


def test_xcode10_devices_only_with_availability_strings():
    lst = parse_list(read("simctl_list_devices_xcode10.json"))
    assert not lst.runtimes and not lst.device_types
    tv = lst.find("FA628127-1D5C-45C3-9918-A47BF7E2AE14")
    assert tv.available and tv.runtime == "com.apple.CoreSimulator.SimRuntime.tvOS-12-1" and tv.device_type == ""
    assert runtime_label(lst, tv) == "tvOS 12.1"  # derived from the key when there is no runtimes section


def test_xcode10_availability_string_without_is_available():
    text = '{"devices": {"iOS 12.1": [{"availability": "(unavailable, runtime profile not found)", "state": "Shutdown", "name": "iPhone X", "udid": "0000"}]}}'
    d = parse_list(text).devices[0]
    assert d.available is False and d.runtime == "iOS 12.1"


def test_xcode26_trailing_commas_last_usage_and_availability_error():
    lst = parse_list(read("simctl_list_xcode26_trimmed.jsonc"))
    assert lst.device_types["com.apple.CoreSimulator.SimDeviceType.iPad-Pro-13-inch-M5-12GB"].model_identifier == "iPad17,4"
    assert lst.runtimes and lst.devices
    unavailable = [d for d in lst.devices if not d.available]
    assert unavailable and unavailable[0].availability_error.startswith("runtime profile not found")


def test_xcode26_empty_json_bug_is_named_and_says_what_to_do():
    transcript = read("simctl_list_devices_xcode26_empty_json_bug.txt")
    json_part = transcript[transcript.index("{"):transcript.rindex("}") + 1]
    with pytest.raises(ParseError) as info:
        parse_list(json_part)
    text = str(info.value)
    assert "Xcode 26.0" in text and "simctl list devices" in text and "--iosmem-simulator-udid" in text


def test_text_listing_of_the_same_transcript_shows_the_devices():
    transcript = read("simctl_list_devices_xcode26_empty_json_bug.txt")
    text_part = transcript[:transcript.index("{")]
    devices = parse_text_devices(text_part)
    assert [(d.name, d.udid, d.state, d.runtime) for d in devices] == [
        ("iPhone 16 Pro", "87D5AFE2-5B9B-4CC1-8165-F7AC6F938E4D", "Shutdown", "iOS 26.0"),
        ("iPad Pro 11-inch (M4)", "145C5916-A65C-4796-9A3B-45EC78F9548C", "Booted", "iOS 26.0"),
    ]
    assert all(d.available for d in devices)


@pytest.mark.parametrize(
    "garbage",
    ["", "not json", "[]", '{"devices": []}', '{"devices": {"x": [{"name": "no udid"}]}}', '{"devices": {"x": 3}}'],
)
def test_list_garbage_is_a_parse_error_naming_simctl(garbage):
    with pytest.raises(ParseError, match="cannot parse simctl list -j output"):
        parse_list(garbage)


def test_unknown_extra_fields_are_tolerated():
    text = '{"devices": {"com.apple.CoreSimulator.SimRuntime.iOS-30-0": [{"udid": "U", "name": "n", "state": "Booted", "isAvailable": true, "futureField": {"a": 1}}]}, "runtimes": [], "newSection": 1}'
    assert parse_list(text).devices[0].udid == "U"


def test_launch_pid_from_real_outputs():
    assert parse_launch_pid(read("simctl_launch_output_flutter_pr1620.txt"), "io.flutter.runner.Runner") == 67375
    # inside flutter's verbose log, after the echoed `xcrun simctl launch ...` command line
    assert parse_launch_pid(read("simctl_launch_output_flutter_16753.txt"), "io.flutter.examples.gallery") == 64400
    with pytest.raises(ParseError, match="simctl launch"):
        parse_launch_pid("An error was encountered processing the command", "com.x")
    with pytest.raises(ParseError):
        parse_launch_pid(read("simctl_launch_output_flutter_pr1620.txt"), "com.other")


def test_launchctl_list_finds_the_uikit_application():
    text = read("simctl_spawn_launchctl_list_1.txt")
    assert parse_launchctl_pid(text, "com.apple.mobilesafari") == 22076
    assert parse_launchctl_pid(text, "com.apple.mobile") is None  # a prefix of another bundle id is not it
    assert parse_launchctl_pid(text, "com.example.absent") is None
    assert parse_launchctl_pid("PID\tStatus\tLabel\n-\t0\tUIKitApplication:com.x[1]\n", "com.x") is None
    with pytest.raises(ParseError, match="launchctl list"):
        parse_launchctl_pid("garbage", "x")
