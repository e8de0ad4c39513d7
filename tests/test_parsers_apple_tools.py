"""Parsers of simctl, leaks, footprint and vmmap on real recorded output (tests/data/PROVENANCE.md)."""

from pathlib import Path

import pytest

from pytest_iosmem.errors import ParseError
from pytest_iosmem.parsers.footprint_tool import parse_footprint, parse_vmmap_summary
from pytest_iosmem.parsers.leaks import interpret_exit, parse_leaks
from pytest_iosmem.parsers.simctl import parse_launch_pid, parse_launchctl_pid, parse_list, runtime_label

DATA = Path(__file__).parent / "data"


def read(name):
    return (DATA / name).read_text()


def test_simctl_list_xcode16():
    lst = parse_list(read("simctl_list_xcode16.json"))
    assert lst.runtimes and lst.device_types["com.apple.CoreSimulator.SimDeviceType.iPhone-6s"]["modelIdentifier"] == "iPhone8,1"
    iphones = [d for d in lst.devices if d.name.startswith("iPhone") and d.available]
    assert iphones and all(len(d.udid) == 36 for d in iphones)
    assert runtime_label(lst, iphones[0]).startswith("iOS ")


def test_simctl_list_xcode14_keeps_unavailable_devices_apart():
    lst = parse_list(read("simctl_list_xcode14.json"))
    tv = next(d for d in lst.devices if d.udid == "3B8C5C9A-0407-4FB4-A6D0-24B15EEF0110")
    assert tv.available is False and tv.device_type.endswith("Apple-TV-4K-2nd-generation-4K")


def test_simctl_list_xcode12_and_runtime_names():
    lst = parse_list(read("simctl_list_xcode12.json"))
    r = lst.runtimes["com.apple.CoreSimulator.SimRuntime.iOS-14-4"]
    assert (r.name, r.version) == ("iOS 14.4", "14.4")


def test_simctl_list_devices_xcode10_availability_strings():
    lst = parse_list(read("simctl_list_devices_xcode10.json"))
    tv = next(d for d in lst.devices if d.udid == "FA628127-1D5C-45C3-9918-A47BF7E2AE14")
    assert tv.available and tv.runtime == "com.apple.CoreSimulator.SimRuntime.tvOS-12-1"
    assert runtime_label(lst, tv) == "tvOS 12.1"


def test_simctl_list_xcode26_with_trailing_commas():
    lst = parse_list(read("simctl_list_xcode26_trimmed.jsonc"))
    assert lst.devices and lst.device_types


def test_xcode26_empty_json_bug_is_named():
    text = read("simctl_list_devices_xcode26_empty_json_bug.txt")
    json_part = text[text.index("{"):text.rindex("}") + 1]
    with pytest.raises(ParseError, match="Xcode 26.0 bug"):
        parse_list(json_part)


@pytest.mark.parametrize("garbage", ["", "not json", "[]", '{"devices": []}', '{"devices": {"x": [{"name": "no udid"}]}}'])
def test_simctl_list_garbage(garbage):
    with pytest.raises(ParseError, match="simctl list"):
        parse_list(garbage)


def test_simctl_launch_pid_from_real_outputs():
    assert parse_launch_pid(read("simctl_launch_output_flutter_pr1620.txt"), "io.flutter.runner.Runner") == 67375
    assert parse_launch_pid(read("simctl_launch_output_flutter_16753.txt"), "io.flutter.examples.gallery") == 64400
    with pytest.raises(ParseError):
        parse_launch_pid("An error was encountered", "com.x")


def test_launchctl_list_finds_the_uikit_application():
    text = read("simctl_spawn_launchctl_list_1.txt")
    assert parse_launchctl_pid(text, "com.apple.mobilesafari") == 22076
    assert parse_launchctl_pid(text, "com.example.absent") is None
    with pytest.raises(ParseError):
        parse_launchctl_pid("garbage", "x")


def test_leaks_with_a_root_cycle():
    r = parse_leaks(read("leaks_output_ios_sim_bytebuddy_cycle.txt"))
    assert (r.pid, r.leaks, r.leaked_bytes, r.report_version) == (81862, 2, 64, "4.0")
    assert r.cycles == ["A", "B"]
    assert ("LEAK", "NSURL", 96) in r.roots


def test_leaks_totals_root_leaks_and_stacks():
    r = parse_leaks(read("leaks_output_ios_sim_symbolicator_no_stack.txt"))
    assert r.leaks == 2 and r.leaked_types["LeakySwiftObject"] == 2
    stacks = parse_leaks(read("leaks_output_ios_sim_symbolicator_stacks.txt"))
    assert stacks.leaks >= 1 and stacks.roots


@pytest.mark.parametrize("name", ["leaks_output_ios_sim_bytebuddy_noleaks.txt", "leaks_macos26_no_leaks.txt",
                                  "leaks_macos14_xcode15_no_leaks.txt"])
def test_leaks_clean(name):
    r = parse_leaks(read(name))
    assert r.leaks == 0 and r.leaked_bytes == 0 and r.roots == []


def test_leaks_exit_status_kept_apart():
    assert [interpret_exit(c) for c in (0, 1, 2, 134)] == ["clean", "leaks", "failed", "failed"]
    with pytest.raises(ParseError):
        parse_leaks("leaks: Process 1 is not debuggable")


def test_footprint_tool_outputs():
    assert parse_footprint(read("footprint_macos26_ferryx.txt")) == (922 * 1024**2, 941 * 1024**2)
    now, peak = parse_footprint(read("footprint_socketry_issue3_truncated.txt"))  # older output, header only
    assert now == 42 * 1024**2 and peak is None
    assert parse_footprint("phys_footprint: 123456 B\nphys_footprint_peak: 234567 B\n") == (123456, 234567)
    with pytest.raises(ParseError):
        parse_footprint("nothing here")


def test_vmmap_summary():
    now, peak = parse_vmmap_summary(read("vmmap_summary_macos26_ferryx.txt"))
    assert now == int(919.0 * 1024**2) and peak == int(941.4 * 1024**2)
    assert parse_vmmap_summary(read("vmmap_macos13_head.txt"))[0] > 0
    with pytest.raises(ParseError):
        parse_vmmap_summary("no footprint")
