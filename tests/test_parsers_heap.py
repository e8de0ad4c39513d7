"""``heap`` output parsed from real recordings (tests/data/PROVENANCE.md)."""

from pathlib import Path

import pytest

from pytest_iosmem.errors import ParseError
from pytest_iosmem.parsers.heap import parse_heap

DATA = Path(__file__).parent / "data"


def test_ios_simulator_17_2():
    r = parse_heap((DATA / "heap_ios_sim_17_2.txt").read_text())
    assert r.process == "ByteBuddyExample [55156]"
    assert r.footprint == int(11.5 * 1024**2) and r.footprint_peak == int(14.2 * 1024**2)
    assert r.total_bytes == 2662832
    by = {c.name: c for c in r.classes}
    assert by["CFString"].count == 4891 and by["CFString"].bytes == 176576
    assert by["CFString (Storage)"].bytes == 819264
    assert by["non-object"].count == 2591
    assert by["ViewController"].count == 1 and by["ExampleClass"].count == 2
    long = "NSHashTable.slice.acquisitionProps (struct NSSliceExternalAcquisitionProperties)"
    assert by[long].bytes == 64  # a name longer than its column, with spaces


def test_macos_26_table_that_ends_mid_way():
    r = parse_heap((DATA / "heap_s_sortBySize_macos26_mouser.txt").read_text())
    assert r.footprint == 6 * 1024**3
    assert r.classes[0].name == "non-object" and r.classes[0].count == 17142676
    assert r.classes[1].name == "HIDEvent" and r.classes[1].bytes == 1048031376
    assert any(c.name == "dispatch_queue_t (serial)" for c in r.classes)


@pytest.mark.parametrize("garbage", ["", "hello\nworld", "Physical footprint: 1M\n"])
def test_garbage_is_a_clear_error(garbage):
    with pytest.raises(ParseError, match="cannot parse heap output"):
        parse_heap(garbage)
