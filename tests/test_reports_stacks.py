"""Grown allocation stacks in the reports: JSON (schema), Markdown and HTML (a collapsible tree per test)."""

import copy
import json
from pathlib import Path

import jsonschema

from pytest_iosmem.reports import html, json_report, markdown
from pytest_iosmem.attribution.stacks import caller_tree

DATA = Path(__file__).parent / "data" / "reports"
SCHEMA = json.loads((Path(json_report.__file__).parents[1] / "schemas" / "report-v1.json").read_text())
DOC = json.loads((DATA / "examples_stacks.json").read_text())  # a real run (tests/data/PROVENANCE.md)


def test_the_recorded_report_carries_stacks_and_matches_the_schema():
    jsonschema.Draft202012Validator(SCHEMA).validate(DOC)
    timer = next(t for t in DOC["tests"] if "Timer" in t["nodeid"])
    assert timer["stacks"][0]["site"].startswith("ViewController.__init__ (refapp/model.py:")
    assert timer["stacks"][0]["bytes_per_iteration"] == 512 * 1024
    clean = next(t for t in DOC["tests"] if "clean" in t["nodeid"])
    assert clean["stacks"] == []
    bad = copy.deepcopy(DOC)
    bad["tests"][0]["stacks"] = [{"site": 3}]
    assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(bad)


def test_reports_written_before_stacks_existed_stay_valid():
    old = json.loads((DATA / "examples_failures.json").read_text())
    assert all("stacks" not in t for t in old["tests"])
    jsonschema.Draft202012Validator(SCHEMA).validate(old)
    assert "allocation stacks" not in markdown.render(old) and "class=stacks" not in html.render(old)


def test_markdown_folds_the_stacks_in_details():
    text = markdown.render(DOC)
    assert text.count("<details><summary>allocation stacks that grew") == 2  # Timer and Map, not Clean
    assert "- `ViewController.__init__ (refapp/model.py:87)` +524 KB/iter, +1.0 blocks/iter" in text
    assert "  - `App.open (refapp/model.py:326)`" in text
    assert "- `Annotation.__init__ (refapp/model.py:212)` +524 KB/iter, +16.0 blocks/iter" in text


def test_html_draws_a_collapsible_tree_per_test_escaped():
    page = html.render(DOC)
    assert page.count("<ul class=stacks>") == 2
    assert "<details open><summary><code>ViewController.__init__ (refapp/model.py:87)</code>" in page
    assert "system frames folded</li>" in page
    hostile = copy.deepcopy(DOC)
    t = next(t for t in hostile["tests"] if t["stacks"])
    t["stacks"][0]["app_frames"][0]["function"] = "<script>alert(1)</script>"
    page = html.render(hostile)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_caller_tree_merges_one_site_reached_from_two_callers():
    def row(site, caller, size):
        return {"site": site, "bytes_per_iteration": size, "count_per_iteration": 1, "system_frames": 5,
                "app_frames": [{"function": site}, {"function": caller}]}

    tree = caller_tree([row("loadImage", "cellForRow", 100), row("loadImage", "viewDidLoad", 400),
                        row("decode", "viewDidLoad", 50)])
    assert [(n.label, n.bytes_per_iteration) for n in tree] == [("loadImage", 500), ("decode", 50)]
    assert [(c.label, c.bytes_per_iteration, c.folded) for c in tree[0].children] == [
        ("viewDidLoad", 400, 5), ("cellForRow", 100, 5)]
    # a stack with no frame of the app starts at its site
    (only,) = caller_tree([{"site": "malloc (in libsystem_malloc.dylib)", "bytes_per_iteration": 9,
                            "app_frames": [], "system_frames": 30}])
    assert only.label == "malloc (in libsystem_malloc.dylib)" and only.folded == 30
