"""``vmmap -summary`` and ``footprint`` parsed from real recordings (tests/data/PROVENANCE.md)."""

from pathlib import Path

import pytest

from pytest_iosmem.errors import ParseError
from pytest_iosmem.parsers._common import apple_size
from pytest_iosmem.parsers.footprint_tool import parse_footprint
from pytest_iosmem.parsers.vmmap import parse_vmmap_summary

DATA = Path(__file__).parent / "data"
K, M, G = 1024, 1024**2, 1024**3


def read(name: str) -> str:
    return (DATA / name).read_text()


@pytest.mark.parametrize("text, value", [("11.5M", int(11.5 * M)), ("6.0G", 6 * G), ("1.53K", int(1.53 * K)),
                                         ("922 MB", 922 * M), ("0 B", 0), ("824", 824), ("48K", 48 * K), ("x", None)])
def test_apple_sizes_are_binary(text, value):
    assert apple_size(text) == value


def test_vmmap_summary_macos26():
    r = parse_vmmap_summary(read("vmmap_summary_macos26_ferryx.txt"))
    assert r.footprint == int(919.0 * M) and r.footprint_peak == int(941.4 * M)
    assert r.header.process == "ferryx" and r.header.analysis_tool == "/usr/bin/vmmap"
    by = {x.name: x for x in r.regions}
    small = by["MALLOC_SMALL"]
    assert (small.virtual, small.resident, small.dirty, small.swapped, small.count) == (
        int(83.5 * M), int(38.4 * M), int(28.8 * M), 17 * M, 93)
    assert small.note == "see MALLOC ZONE table below"
    assert by["JS VM Gigacage (reserved)"].virtual == 4 * G
    assert by["unused but dirty shlib __DATA"].count == 342 and by["__CTF"].virtual == 824
    assert r.total.count == 7248 and r.total.dirty == int(134.7 * M)
    assert "TOTAL, minus reserved VM space" not in by
    assert "DefaultMallocZone_0x101e9c000" not in by  # the MALLOC ZONE table is a different table
    assert len(r.regions) == 49


def test_vmmap_full_report_head_macos13():
    r = parse_vmmap_summary(read("vmmap_macos13_head.txt"))
    assert r.footprint == int(1.2 * G) and r.footprint_peak == int(1.2 * G) and r.regions == []


@pytest.mark.parametrize("garbage", ["", "no footprint", "REGION TYPE\nMALLOC 1K 1K 1K 1K 1K 1K 1K 1\n"])
def test_vmmap_garbage(garbage):
    with pytest.raises(ParseError, match="cannot parse vmmap output"):
        parse_vmmap_summary(garbage)


def test_footprint_text_macos26():
    r = parse_footprint(read("footprint_macos26_ferryx.txt"))
    assert (r.footprint, r.peak, r.process, r.pid) == (922 * M, 941 * M, "ferryx", 70940)
    assert r.categories[0].name == "Owned physical footprint (unmapped) (graphics)"
    assert r.categories[0].dirty == 411 * M and r.categories[0].regions == 155
    assert "TOTAL" not in {c.name for c in r.categories} and len(r.categories) == 37


def test_footprint_older_output_has_only_the_banner():
    r = parse_footprint(read("footprint_socketry_issue3_truncated.txt"))
    assert r.footprint == 42 * M and r.peak is None and (r.process, r.pid) == ("ruby", 3644)
    assert r.categories[1].name == 'untagged ("VM_ALLOCATE")'


@pytest.mark.parametrize("garbage", ["", "nothing here", "phys_footprint: lots"])
def test_footprint_garbage(garbage):
    with pytest.raises(ParseError, match="cannot parse footprint output"):
        parse_footprint(garbage)
