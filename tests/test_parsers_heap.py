"""``heap`` output parsed from real recordings of both generations (tests/data/PROVENANCE.md)."""

from pathlib import Path

import pytest

from pytest_iosmem.errors import ParseError
from pytest_iosmem.parsers.heap import parse_heap
from pytest_iosmem.values import ClassStat

DATA = Path(__file__).parent / "data"
M = 1024 * 1024


def test_ios_simulator_17_2_older_found_lines():
    r = parse_heap((DATA / "heap_ios_sim_17_2.txt").read_text())
    h = r.header
    assert (h.process, h.pid, h.platform) == ("ByteBuddyExample", 55156, "iOS Simulator")
    assert h.analysis_tool_version == "iOS Simulator 17.2 (21C62)"  # the simulator runtime's own heap
    assert r.process == "ByteBuddyExample [55156]"
    assert r.footprint == int(11.5 * M) and r.footprint_peak == int(14.2 * M)
    assert (r.total_nodes, r.total_bytes) == (19103, 2662832)
    assert r.found == {"ObjC classes": 965, "Swift classes": 62, "CFTypes": 131}
    by = {row.name: row for row in r.rows}
    assert (by["CFString"].count, by["CFString"].bytes, by["CFString"].type, by["CFString"].binary) == (
        4891, 176576, "ObjC", "CoreFoundation")
    assert by["CFString (Storage)"].bytes == 819264 and by["CFString (Storage)"].type == "C"
    assert by["non-object"].count == 2591 and by["non-object"].type == ""
    assert by["ViewController"].type == "Swift" and by["ExampleClass"].count == 2
    long = "NSHashTable.slice.acquisitionProps (struct NSSliceExternalAcquisitionProperties)"
    assert by[long].bytes == 64  # longer than its column, with spaces
    cxx = [row for row in r.rows if row.name.startswith("std::__shared_ptr_pointer<")]
    assert cxx and cxx[0].type == "C++" and cxx[0].binary == "libFontParser.dylib"
    assert r.classes[0] == ClassStat("CFString", 4891, 176576)


def test_macos_26_single_found_line_and_wide_counts():
    r = parse_heap((DATA / "heap_s_sortBySize_macos26_mouser.txt").read_text())
    assert r.footprint == 6 * 1024**3 and r.header.analysis_tool_version == "Xcode 26.5 (17F42)"
    assert r.found == {"ObjC classes": 1588, "Swift classes": 244, "C++ classes": 314, "CFTypes": 259}
    assert r.total_bytes == 5874279184
    assert r.rows[0].name == "non-object" and r.rows[0].count == 17142676 and r.rows[0].bytes == 2240253760
    assert r.rows[1].name == "HIDEvent" and r.rows[1].bytes == 1048031376
    assert any(row.name == "dispatch_queue_t (serial)" and row.type == "ObjC" for row in r.rows)


def test_a_table_cut_mid_way_keeps_the_rows_read():
    text = (DATA / "heap_ios_sim_17_2.txt").read_text()
    cut = text[: text.index("UIWindow")]
    r = parse_heap(cut)
    assert [row.name for row in r.rows][-1] == "ExampleClass"


def test_every_heap_sample_is_covered_here():
    assert sorted(p.name for p in DATA.glob("heap_*.txt")) == [
        "heap_-s_adguard-issue1092-header-only.txt", "heap_ios_sim_17_2.txt", "heap_s_sortBySize_macos26_mouser.txt"]


def test_a_header_without_its_table_says_the_output_was_cut():
    # `sudo heap -s 11729`, macOS 12.3.1, Xcode 13.4.1: the stored excerpt ends after "Process 11729: 2 zones"
    text = (DATA / "heap_-s_adguard-issue1092-header-only.txt").read_text()
    with pytest.raises(ParseError, match=r"com.adguard.mac.adguard.network-extension \[11729\]: the output ends "
                                         "before the class table"):
        parse_heap(text)
    from pytest_iosmem.parsers._common import parse_header

    h = parse_header(text)
    assert (h.footprint, h.footprint_peak) == (int(163.0 * M), int(246.5 * M))
    assert h.analysis_tool_version == "Xcode 13.4.1 (13F100)" and h.platform == "macOS"


@pytest.mark.parametrize("garbage", ["", "hello\nworld", "Physical footprint: 1M\n", "COUNT BYTES\n"])
def test_garbage_is_a_clear_error(garbage):
    with pytest.raises(ParseError, match="cannot parse heap output"):
        parse_heap(garbage)
