"""sysmontap rows, parsed from recordings (tests/data/PROVENANCE.md)."""

import pytest

from pytest_iosmem.errors import ParseError
import json

from pytest_iosmem.parsers.sysmontap import (
    decode_processes,
    footprint_bytes,
    process_rows,
)

from .test_device_recordings import issue889_closed, pydevice_raw_row, tidevice_messages


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
    text = issue889_closed()
    (row,) = json.loads(text[text.index("["):])  # the CLI's JSON list (a prompt line before it)
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


