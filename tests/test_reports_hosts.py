"""Which host ran each test, in every report, for runs across Macs (xdist SSH gateways).

The results are real ones (tests/data/reports/local_pass_and_fail.json, a
recorded run, see tests/data/PROVENANCE.md) with ``host``/``worker`` set as
two remote workers set them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema

from pytest_iosmem.reports import html, json_report, markdown
from pytest_iosmem.reports.common import hosts
from pytest_iosmem.reports.terminal import format_summary

DATA = Path(__file__).parent / "data" / "reports"
RECORDED = json.loads((DATA / "local_pass_and_fail.json").read_text())
SCHEMA = json.loads((Path(json_report.__file__).parents[1] / "schemas" / "report-v1.json").read_text())


def two_hosts() -> list[dict]:
    tests = copy.deepcopy(RECORDED["tests"])
    assert len(tests) >= 2
    for i, r in enumerate(tests):
        r["host"], r["worker"] = ("mac1", "gw0") if i % 2 == 0 else ("mac2", "gw1")
    failing = next(r for r in tests if r["findings"])
    failing["artifacts"] = ["iosmem-artifacts/simulator/X/failed-test_x-4242.memgraph"]
    return tests


def test_terminal_summary_has_a_host_column_only_when_hosts_differ():
    tests = two_hosts()
    table = format_summary(tests).splitlines()
    assert table[0].split()[-1] == "host"
    body = [line for line in table[2:]]
    assert len(body) == len(tests)
    assert {line.split()[-1] for line in body} == {"mac1", "mac2"}
    for r in tests:
        r["host"] = "mac1"
    assert "host" not in format_summary(tests).splitlines()[0]
    assert max(len(line) for line in format_summary(two_hosts()).splitlines()) <= 100


def test_json_report_with_hosts_matches_the_schema_and_old_reports_still_do():
    doc = json_report.build_document(two_hosts())
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert hosts(doc["tests"]) == ["mac1", "mac2"]
    jsonschema.Draft202012Validator(SCHEMA).validate(RECORDED)  # written before hosts were recorded
    bad = copy.deepcopy(doc)
    bad["tests"][0]["host"] = 7
    try:
        jsonschema.Draft202012Validator(SCHEMA).validate(bad)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("a host that is not a string was accepted")


def test_markdown_names_the_host_of_each_test_and_where_files_were_saved():
    text = markdown.render(json_report.build_document(two_hosts()))
    header = next(line for line in text.splitlines() if line.startswith("| test |"))
    assert header.endswith("| host |")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert {row.rstrip(" |").rsplit("|", 1)[-1].strip() for row in rows} == {"`mac1`", "`mac2`"}
    assert "Files saved on host `mac" in text
    one = two_hosts()
    for r in one:
        r["host"] = "mac1"
    text = markdown.render(json_report.build_document(one))
    assert "| host |" not in text and "· host `mac1` ·" in text


def test_html_names_the_host_per_test_and_beside_its_artifacts():
    page = html.render(json_report.build_document(two_hosts()))
    assert "<th>host</th>" in page
    assert "<td>mac1</td>" in page and "<td>mac2</td>" in page
    assert "· host mac1 (gw0)" in page and "· host mac2 (gw1)" in page
    assert "Artifacts <span class=muted>(saved on host mac" in page
    old = html.render(RECORDED)  # no hosts recorded: no column, no host line
    assert "<th>host</th>" not in old and "· host " not in old
