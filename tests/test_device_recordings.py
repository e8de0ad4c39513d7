"""Recorded device data, read into the shapes pymobiledevice3 hands the device target.

Every loader reads a file of tests/data/ (provenance in tests/data/PROVENANCE.md)
and changes nothing in it: comments the publishers wrote into their samples
are stripped while reading, never from the files.  The tests here pin what
the recordings say, so the device tests that use them rest on known numbers.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

DATA = Path(__file__).parent / "data"


def _section(marker: str) -> str:
    text = (DATA / "sysmontap_attributes.txt").read_text()
    start = text.index(marker)
    end = text.find("\n########", start + 1)
    return text[start:] if end < 0 else text[start:end]


def pydevice_raw_row() -> tuple[list[str], dict[str, list]]:
    """The raw sysmontap row of pid 351 posted in py-ios-device issue 8 (section 3).

    The poster annotated each value with its attribute in ``//`` comments; two
    values carry no annotation and are named ``unannotated<position>`` here.
    """
    block = _section("######## 3.")
    body = block[block.index('"351": [') + len('"351": ['):block.index("],")]
    attributes, values = [], []
    for i, line in enumerate(v for v in body.splitlines() if v.strip()):
        value, _, comment = line.partition("//")
        values.append(ast.literal_eval(value.strip().rstrip(",")))
        attributes.append(comment.strip() or f"unannotated{i}")
    return attributes, {"351": values}


def tidevice_messages() -> tuple[list[str], list[dict]]:
    """The two sysmontap messages of tidevice's iter_cpu_memory() docstring (section 5).

    The first is system-only (``Type: 33``); the second carries ``Processes`` with
    int pid keys.  The attribute order is the one the docstring writes above the rows.
    """
    block = _section("######## 5.")
    system = ast.literal_eval(block[block.index("{'CPUCount'"):block.index("'Type': 33}") + len("'Type': 33}")])
    names = block[block.index('"cpuUsage", "ctxSwitch"'):block.index("'Processes'")]
    attributes = re.findall(r'"(\w+)"', names)
    start = block.index("'Processes': {") + len("'Processes': ")
    rows_text = block[start:block.index("}]", start)]
    rows_text = "\n".join(line.split("#", 1)[0] for line in rows_text.splitlines())
    processes = ast.literal_eval(rows_text.strip())
    return attributes, [system, {"EndMachAbsTime": 2158515468993, "Processes": processes}]


def issue889_text() -> str:
    """``pymobiledevice3 developer dvt sysmon process single`` on an iOS 17 device, cut in the issue."""
    return (DATA / "pymobiledevice3_sysmon_process_single_issue889_truncated.txt").read_text()


def issue889_closed() -> str:
    """The same output with the JSON the issue cut off closed (the row itself unchanged)."""
    return issue889_text().rstrip().rstrip(",") + "\n}\n]\n"


def remotexpc_notifications() -> list[dict]:
    """The mobilenotifications messages in appium-ios-remotexpc's doc comment, as dicts.

    ``timestamp: [Object]`` is how Node printed an NSDate it did not expand; it is read as None.
    """
    text = (DATA / "dvt_notifications_appium_remotexpc_types_excerpt.txt").read_text()
    body = "\n".join(line.split("*", 1)[1] if "*" in line else line for line in text.splitlines()[2:])
    body = body.replace("[Object]", "None")
    body = re.sub(r"^(\s*)(\w+):", r"\1'\2':", body, flags=re.M)  # JS object keys -> Python dict keys
    return list(ast.literal_eval("[" + body + "]"))


def jetsam_rpages_bytes() -> tuple[str, int]:
    """(process name, resident bytes at the kill) of the per-process-limit entry of the JetsamEvent excerpt."""
    text = (DATA / "jetsam_event_ios11_4_1_per_process_limit_excerpt.txt").read_text()
    page = int(re.search(r'"pageSize" : (\d+)', text).group(1))
    entry = text[text.index('"rpages" : 89600'):]
    name = re.search(r'"name" : "([^"]+)"', entry).group(1)
    return name, int(re.search(r'"rpages" : (\d+)', entry).group(1)) * page


def test_the_recordings_say_what_the_device_tests_rely_on():
    attributes, processes = pydevice_raw_row()
    assert attributes[6] == "physFootprint" and processes["351"][6] == 934232 and len(attributes) == 10
    attrs, (system, sample) = tidevice_messages()
    assert attrs == ["cpuUsage", "ctxSwitch", "intWakeups", "physFootprint", "memResidentSize", "memAnon", "pid"]
    assert "Processes" not in system and system["Type"] == 33
    assert sample["Processes"][1][3] == 12353840
    notes = remotexpc_notifications()
    assert [n["selector"] for n in notes] == ["applicationStateNotification:"] * 2 + ["memoryLevelNotification:"]
    assert notes[2]["data"] == {"code": 3, "mach_absolute_time": 101524320437, "timestamp": None, "pid": -1}
    assert jetsam_rpages_bytes() == ("MemoryTest", 89600 * 16384)
