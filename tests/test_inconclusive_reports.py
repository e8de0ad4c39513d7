"""An inconclusive leak verdict in every report, from real analysis results (no hand-made dicts)."""

import jsonschema
import pytest

from pytest_iosmem.verdict.checks import analyse
from pytest_iosmem.verdict.policy import Policy
from pytest_iosmem.reports import html, markdown
from pytest_iosmem.reports.json_report import build_document
from pytest_iosmem.reports.terminal import format_summary
from pytest_iosmem.results import GateResult, baseline_candidate, inconclusive_checks, verdict_label
from pytest_iosmem.values import Profile
from pytest_iosmem.timeline import IterationEnd, Timeline

from .test_reports_schema import SCHEMA

KB = 1000
MB = 1000 * KB


def result(nodeid, values, policy, planned, bound):
    tl = Timeline(clock=iter(range(10_000)).__next__)
    for i, v in enumerate(values):
        tl.add_sample(v, t=float(i))
        tl.add_iteration(IterationEnd(i, float(i), v, False, True, 0.1))
    tl.end_footprint = values[-1]
    tl.plan = {"planned": planned, "max": bound}
    verdict = analyse(tl, policy)
    return GateResult(nodeid, Profile("local", "m", "1"), policy, verdict, tl).to_dict()


# alternates around the limit's line: neither clearly faster nor clearly slower, at any length
BORDER = [10 * MB + 128 * KB * i + (40 * KB if i % 2 else -40 * KB) for i in range(10)]


@pytest.fixture
def results():
    return [
        result("t.py::test_clean", [10 * MB + (i % 3) * KB for i in range(6)], Policy(), 6, 20),
        result("t.py::test_border_warn", BORDER, Policy(), 6, 10),
        result("t.py::test_border_fail", BORDER, Policy(inconclusive="fail"), 6, 10),
        result("t.py::test_leak", [10 * MB + 300 * KB * i for i in range(6)], Policy(), 6, 20),
    ]


def test_labels_and_decisions(results):
    clean, warn, fail, leak = results
    assert [verdict_label(r) for r in results] == [
        "pass (no baseline)", "inconclusive leak", "FAIL inconclusive leak", "FAIL leak",
    ]
    assert warn["outcome"] == "passed" and fail["outcome"] == "failed"
    assert [d["outcome"] for d in warn["decisions"]] == ["inconclusive"]
    assert (warn["decisions"][0]["steps"], warn["decisions"][0]["added"]) == (10, 4)
    assert inconclusive_checks({**warn, "outcome": "interrupted"}) == []
    assert [d["outcome"] for d in clean["decisions"]] == ["clear"]
    assert baseline_candidate(warn) is not None  # passing numbers, like any pass
    assert baseline_candidate(fail) is None


def test_json_document_validates(results):
    jsonschema.Draft202012Validator(SCHEMA).validate(build_document(results))


def test_terminal_table_puts_inconclusive_after_failures_before_passes(results):
    lines = format_summary(results).splitlines()[2:]
    assert [line.split()[0] for line in lines] == ["test_border_fail", "test_leak", "test_border_warn", "test_clean"]
    assert lines[2].rstrip().endswith("inconclusive leak")


def test_markdown_marks_inconclusive_and_counts_it(results):
    md = markdown.render(build_document(results))
    assert "**4 gated, 2 failed**, 2 inconclusive" in md  # one of the two failed on it (inconclusive=fail)
    assert "| ⚠️ inconclusive leak |" in md
    assert "| ❌ FAIL inconclusive leak |" in md
    assert "+128 KB (p=0.35, n=10 +4)" in md  # the leak decision's p against the limit and the added iterations


def test_html_shows_the_verdict_and_the_reason(results):
    page = html.render(build_document(results))
    assert "<span class=other>inconclusive leak</span>" in page
    assert "2 inconclusive" in page
    assert "inconclusive: leak +128 KB per iteration over 10 iterations (4 added, bound 10)" in page
