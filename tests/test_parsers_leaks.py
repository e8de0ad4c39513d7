"""``leaks`` output parsed from real recordings (iOS Simulator 15.5/17.2, macOS 14/26; tests/data/PROVENANCE.md)."""

from pathlib import Path

import pytest

from pytest_iosmem.errors import ParseError
from pytest_iosmem.parsers.leaks import LeakRoot, interpret_exit, parse_leaks, split_allowed

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_root_cycle_and_root_leak_tree():
    r = parse_leaks(read("leaks_output_ios_sim_bytebuddy_cycle.txt"))
    assert (r.pid, r.nodes, r.malloced_kb, r.leaks, r.leaked_bytes, r.report_version) == (81862, 16462, 2106, 2, 64, "4.0")
    assert r.cycles == ["A", "B"]
    assert r.roots[0] == LeakRoot("CYCLE", "A", "0x600000224fa0", 32)
    assert LeakRoot("LEAK", "NSURL", "0x600001e80fc0", 96) in r.roots
    # nodes under a root (what it keeps alive) are not roots
    assert "_FileCache" not in r.leaked_types and "CFDictionary (Value Storage)" not in r.leaked_types
    assert r.header.platform == "iOS Simulator" and r.header.footprint == int(11.0 * 1024 * 1024)


def test_total_and_root_leaks_without_stacks():
    r = parse_leaks(read("leaks_output_ios_sim_symbolicator_no_stack.txt"))
    assert r.leaks == 2 and r.leaked_types == {"LeakySwiftObject": 2} and r.stacks == []
    assert r.header.analysis_tool_version == "iOS Simulator 15.5 (19F70)"


def test_multi_line_stacks():
    r = parse_leaks(read("leaks_output_ios_sim_symbolicator_stacks.txt"))
    assert (r.leaks, r.leaked_bytes) == (3, 96)
    assert len(r.roots) == 3 and r.leaked_types == {"LeakySwiftObject": 3}
    (stack,) = r.stacks
    assert stack.count == 3 and stack.what == "ROOT LEAK: <LeakySwiftObject>"
    assert stack.frames[0].startswith("31  dyld") and "swift_allocObject" in stack.frames[-3]
    assert len(stack.frames) == 32


@pytest.mark.parametrize(
    "name, version",
    [("leaks_output_ios_sim_bytebuddy_noleaks.txt", "4.0"), ("leaks_macos26_no_leaks.txt", "4.0"),
     ("leaks_macos14_xcode15_no_leaks.txt", "4.0")],
)
def test_clean(name, version):
    r = parse_leaks(read(name))
    assert r.leaks == 0 and r.leaked_bytes == 0 and r.roots == [] and r.report_version == version


def test_exit_status_kept_apart():
    assert [interpret_exit(c) for c in (0, 1, 2, 134, -9)] == ["clean", "leaks", "failed", "failed", "failed"]


@pytest.mark.parametrize("garbage", ["", "leaks: Process 1 is not debuggable", "Process 12: 3 leaks"])
def test_garbage_is_a_parse_error(garbage):
    with pytest.raises(ParseError, match="cannot parse leaks output"):
        parse_leaks(garbage)


def test_allowlist_splits_roots_by_type_pattern():
    roots = parse_leaks(read("leaks_output_ios_sim_bytebuddy_cycle.txt")).roots
    kept, allowed = split_allowed(roots, ["NSURL", "  ", "Foo*"])
    assert [r.type for r in kept] == ["A", "B"] and [r.type for r in allowed] == ["NSURL"]
    kept, allowed = split_allowed(roots, [])
    assert kept == roots and allowed == []
