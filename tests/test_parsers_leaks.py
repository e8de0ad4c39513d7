"""``leaks`` output parsed from real recordings (iOS Simulator 15.5/17.2, macOS 14/26; tests/data/PROVENANCE.md)."""

from pathlib import Path

import pytest

from pytest_iosmem.errors import ParseError
from pytest_iosmem.parsers.leaks import (UNTYPED, LeakRoot, inspection_refused, interpret_exit, parse_leaks,
                                         split_allowed)

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


def test_every_leaks_sample_is_covered_here():
    # a new recording in tests/data must get its own assertions below
    assert sorted(p.name for p in DATA.glob("leaks_*.txt")) == sorted([
        "leaks_atExit_not-debuggable-but-1-leak_macos26-5-1_standardloop.txt",
        "leaks_atExit_not-debuggable_macos26-2_elte-full.txt",
        "leaks_ios-sim-15-2_untyped-root_pipewrench.txt",
        "leaks_macos14_xcode15_no_leaks.txt",
        "leaks_macos26_no_leaks.txt",
        "leaks_not-debuggable_lilly-readme-macos13.txt",
        "leaks_not-debuggable_tulware-scanner-macos11.txt",
        "leaks_outputGraph_error_macos26-sim_memorydetective-testfixture.txt",  # stderr only: test_simulator.py
        "leaks_output_ios_sim_bytebuddy_cycle.txt",
        "leaks_output_ios_sim_bytebuddy_noleaks.txt",
        "leaks_output_ios_sim_symbolicator_no_stack.txt",
        "leaks_output_ios_sim_symbolicator_stacks.txt",
    ])


def test_a_restricted_process_is_still_scanned_and_its_leak_kept():
    # "Process 79483 is not debuggable…" and then the deliberate leak, found: 1 leak, 4096 bytes
    text = read("leaks_atExit_not-debuggable-but-1-leak_macos26-5-1_standardloop.txt")
    r = parse_leaks(text)
    assert (r.pid, r.nodes, r.malloced_kb, r.leaks, r.leaked_bytes) == (79483, 190, 20, 1, 4096)
    assert r.roots == [LeakRoot("LEAK", "malloc in GenerateLeak", "0xc20c44000", 4096)]
    (stack,) = r.stacks
    assert stack.count == 1 and stack.what == "ROOT LEAK: <malloc in GenerateLeak>"
    assert [f.split()[-3] for f in stack.frames] == ["start", "main", "GenerateLeak",
                                                     "_malloc_zone_malloc_instrumented_or_legacy"]
    assert r.restricted.startswith("Process 79483 is not debuggable. Due to security restrictions")
    (note,) = r.notes
    assert "counts, sizes and roots are real" in note and "contents" in note
    assert inspection_refused(text) is None  # a scan that ran is not "not possible"
    assert r.header.os_version == "macOS 26.5.1 (25F80)" and r.header.footprint == 2096 * 1024


@pytest.mark.parametrize("name, pid, nodes, kb", [
    ("leaks_atExit_not-debuggable_macos26-2_elte-full.txt", 45896, 189, 96),
    ("leaks_not-debuggable_lilly-readme-macos13.txt", 53176, 226, 22),
    ("leaks_not-debuggable_tulware-scanner-macos11.txt", 89582, 213, 16),
])
def test_a_restricted_clean_run_is_clean_with_a_note(name, pid, nodes, kb):
    text = read(name)
    r = parse_leaks(text)
    assert (r.pid, r.nodes, r.malloced_kb, r.leaks, r.leaked_bytes, r.roots) == (pid, nodes, kb, 0, 0, [])
    assert r.restricted.startswith(f"Process {pid} is not debuggable") and len(r.notes) == 1
    assert inspection_refused(text) is None


def test_the_cut_tail_of_a_restricted_run_reads_as_the_full_run():
    # leaks_macos26_no_leaks.txt is the full run with its first line cut: same numbers, no note left to read
    tail = parse_leaks(read("leaks_macos26_no_leaks.txt"))
    full = parse_leaks(read("leaks_atExit_not-debuggable_macos26-2_elte-full.txt"))
    assert (tail.pid, tail.nodes, tail.leaks, tail.leaked_bytes) == (full.pid, full.nodes, full.leaks, full.leaked_bytes)
    assert tail.header.footprint == full.header.footprint == 4 * 1024**3 and tail.restricted is None


def test_not_debuggable_with_no_report_is_a_refusal():
    assert "leak check not possible: process 7 is not debuggable" in inspection_refused(
        "Process 7 is not debuggable. Due to security restrictions, leaks can only show or save contents\n")


def test_a_root_without_a_type_is_kept():
    # MallocStackLogging off: "ROOT LEAK: 0x6000017ebc40 [32]", no <Type addr>
    r = parse_leaks(read("leaks_ios-sim-15-2_untyped-root_pipewrench.txt"))
    assert (r.pid, r.nodes, r.malloced_kb, r.leaks, r.leaked_bytes) == (78941, 31480, 4419, 1, 32)
    assert r.roots == [LeakRoot("LEAK", UNTYPED, "0x6000017ebc40", 32)] and not r.unread_roots
    assert r.header.analysis_tool_version == "iOS Simulator 15.2 (19C51)" and r.restricted is None


def test_an_untyped_root_cycle_is_kept():
    # the same shape for a cycle, in the tree layout of the ByteBuddy recording
    r = parse_leaks("Process 5: 2 leaks for 64 total leaked bytes.\n\n"
                    "    2 (64 bytes) ROOT CYCLE: 0x600000224fa0 [32]\n"
                    "       1 (32 bytes) ROOT CYCLE: 0x6000002255c0 [32]\n")
    assert [(x.kind, x.type, x.address) for x in r.roots] == [("CYCLE", UNTYPED, "0x600000224fa0"),
                                                              ("CYCLE", UNTYPED, "0x6000002255c0")]
    assert r.cycles == [UNTYPED, UNTYPED]


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
