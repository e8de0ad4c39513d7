"""sysmontap rows and perf-tool lines, parsed from recordings (tests/data/PROVENANCE.md)."""

import pytest

from pytest_iosmem.errors import ParseError
from pytest_iosmem.parsers.perf_tools import parse_gidevice_perf, parse_tidevice_perf
from pytest_iosmem.parsers.sysmontap import (
    decode_processes,
    footprint_bytes,
    parse_sysmon_process_json,
    process_rows,
)

from .test_device_recordings import DATA, issue889_closed, issue889_text, pydevice_raw_row, tidevice_messages


def test_raw_row_by_attribute_order_py_ios_device():
    attributes, processes = pydevice_raw_row()
    rows = decode_processes(attributes, processes)
    assert list(rows) == [351]  # string key from JSON -> int pid
    assert rows[351]["pid"] == 351 and footprint_bytes(rows[351]) == 934232


def test_tidevice_messages_system_only_then_processes_with_int_keys():
    attributes, (system, sample) = tidevice_messages()
    assert process_rows(attributes, system) is None  # a CPU-only message is not a sample of any pid
    rows = process_rows(attributes, sample)
    assert sorted(rows) == [0, 1]
    assert footprint_bytes(rows[0]) == 7913472 and footprint_bytes(rows[1]) == 12353840
    assert rows[1]["pid"] == 1  # the pid attribute agrees with the key


def test_decoded_row_from_pymobiledevice3_cli_issue889():
    with pytest.raises(ParseError, match="pymobiledevice3 sysmon process.*not complete JSON"):
        parse_sysmon_process_json(issue889_text())  # the issue cut the output mid-object
    (row,) = parse_sysmon_process_json(issue889_closed())
    assert row["comm"] == "ZLKD" and footprint_bytes(row) == 121752144
    assert row["memResidentSize"] == 326696960  # resident is not the footprint: kept apart
    rows = decode_processes([], {"4242": row})  # decoded rows need no attribute list
    assert footprint_bytes(rows[4242]) == 121752144


def test_row_length_must_match_the_attributes():
    attributes, processes = pydevice_raw_row()
    with pytest.raises(ParseError, match="sysmontap.*10 values for 9 requested attributes"):
        decode_processes(attributes[:-1], processes)


@pytest.mark.parametrize(
    "value, expected",
    [(None, None), (float("nan"), None), (True, None), (121752144.0, 121752144), (0, 0)],
)
def test_footprint_units_and_missing_values(value, expected):
    # NSNull arrives as None: "no reading", never zero
    assert footprint_bytes({"physFootprint": value}) == expected
    assert footprint_bytes({}) is None


@pytest.mark.parametrize(
    "message, match",
    [
        ([1, 2], "not a map"),
        ({"Processes": [1, 2]}, "not a map of pid"),
        ({"Processes": {"abc": [1]}}, "not a pid"),
        ({"Processes": {"1": "x"}}, "not a list or a map"),
        ({"Processes": {"1": {"physFootprint": "12 MB"}}}, "not a number of bytes"),
        ({"Processes": {"1": {"physFootprint": -5}}}, "negative"),
    ],
)
def test_garbage_names_sysmontap(message, match):
    with pytest.raises(ParseError, match=f"cannot parse sysmontap output: .*{match}"):
        rows = process_rows(["physFootprint"], message)
        footprint_bytes(rows[1])


def test_tidevice_perf_memory_is_mib_of_physfootprint():
    samples = parse_tidevice_perf((DATA / "tidevice_perf_output_issue276.txt").read_text())
    assert len(samples) == 5 and {s.pid for s in samples} == {293}
    first = samples[0]
    assert first.bytes == round(66.51136779785156 * 1024 * 1024) and first.attribute == "physFootprint"
    assert first.t == pytest.approx(1672899794.759)
    # network and cpu lines interleave with the memory ones and are skipped
    mixed = parse_tidevice_perf((DATA / "tidevice_perf_output_issue203.txt").read_text())
    assert [round(s.bytes / 2**20, 3) for s in mixed] == [5.482, 1.481, 1.481, 2.461]


def test_tidevice_perf_without_memory_lines():
    # gpu/fps/network/screenshot only (the screenshot body is not even a literal): no sample, no error
    assert parse_tidevice_perf((DATA / "tidevice_perf_output_issue303_fps_gpu_network.txt").read_text()) == []
    with pytest.raises(ParseError, match="tidevice perf"):
        parse_tidevice_perf("Traceback (most recent call last):\n  nothing here\n")


def test_gidevice_process_record_is_memanon_not_footprint():
    (sample,) = parse_gidevice_perf((DATA / "gidevice_perf_output_pr40.txt").read_text())
    assert (sample.pid, sample.bytes, sample.attribute, sample.t) == (3872, 21905408, "memAnon", 1665559084.0)
    with pytest.raises(ParseError, match="gidevice perf.*does not parse"):
        parse_gidevice_perf('{"type": "process", "pid": 1,')
    with pytest.raises(ParseError, match="gidevice perf.*no JSON record"):
        parse_gidevice_perf("## system monitor\n")
