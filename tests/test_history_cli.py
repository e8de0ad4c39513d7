"""``iosmem history import | show | page`` and the HTML report's history chart."""

from __future__ import annotations

import json
import re

import pytest

from pytest_iosmem.cli import main
from pytest_iosmem.history.gate import history_of
from pytest_iosmem.history.records import ResultRow, RunInfo
from pytest_iosmem.history.store import open_store

from .cli_helpers import DATA
from .history_backends import history_target  # noqa: F401 (fixture)

pytest.importorskip("ruptures")
MB = 1_000_000
TEST = "test_app.py::test_feed"


def fill(target: str) -> None:
    """30 runs of one test: 20 MB, +1 MB at run 11, +1 MB at run 21 (and a second, steady test)."""
    with open_store(target) as store:
        for i in range(1, 31):
            end = 20 * MB + MB * (i > 10) + MB * (i > 20) + (i % 3) * 4096
            store.append(RunInfo(created=f"2026-11-{i:02d}T12:00:00+00:00", commit=f"c{i:03d}aaaa", branch="main"),
                         [ResultRow(TEST, "local-p", "passed", end, end, 0.0, None),
                          ResultRow("test_app.py::test_home", "local-p", "passed", 10 * MB, 10 * MB, 0.0, None)])


def test_show_lists_the_tests_and_one_series_with_its_change_points(history_target, capsys):
    fill(history_target)
    assert main(["history", "show", "--history", history_target]) == 0
    out = capsys.readouterr().out
    assert re.search(r"test_app.py::test_feed\s+local-p\s+30\s+20.0 MB\s+22.0 MB\s+2", out), out
    assert main(["history", "show", "--history", history_target, "feed"]) == 0
    out = capsys.readouterr().out
    steps = [line for line in out.splitlines() if "◆" in line]
    assert len(steps) == 2, out
    assert "c011aaaa" in steps[0] and "+1.0 MB (+5.0%)" in steps[0]
    assert "c021aaaa" in steps[1] and "(+4.8%)" in steps[1]


def test_show_names_an_unknown_or_ambiguous_test(history_target, capsys):
    fill(history_target)
    assert main(["history", "show", "--history", history_target, "nothing"]) == 2
    assert "'nothing': no such test in the history" in capsys.readouterr().err
    assert main(["history", "show", "--history", history_target, "test_app.py"]) == 2
    assert "names more than one test" in capsys.readouterr().err


def test_import_backfills_reports_once(history_target, capsys):
    reports = sorted(str(p) for p in (DATA / "reports").glob("*.json"))
    assert main(["history", "import", "--history", history_target, "--branch", "main", *reports]) == 0
    assert f"imported {len(reports)} run(s)" in capsys.readouterr().out
    assert main(["history", "import", "--history", history_target, reports[0]]) == 0
    out = capsys.readouterr().out
    assert "imported 0 run(s)" in out and "1 already there" in out
    with open_store(history_target) as store:
        assert store.run_count() == len(reports)
        branches = {p.branch for n, pr, _ in store.tests() for p in store.series(n, pr)}
        assert branches == {"main"}


def test_import_refuses_a_missing_or_bad_file_naming_it(tmp_path, capsys):
    db = str(tmp_path / "h.db")
    assert main(["history", "import", "--history", db, str(tmp_path / "none.json")]) == 2
    assert "none.json: no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["history", "import", "--history", db, str(bad)]) == 2
    assert "bad.json: not an iosmem JSON report" in capsys.readouterr().err


def test_no_history_given_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.delenv("IOSMEM_HISTORY", raising=False)
    assert main(["history", "show"]) == 2
    assert "--history: give the history" in capsys.readouterr().err


def test_the_trend_page_draws_every_test_and_runs_no_script(tmp_path, capsys):
    db = str(tmp_path / "h.db")
    fill(db)
    out = tmp_path / "trend.html"
    assert main(["history", "page", "--history", db, str(out)]) == 0
    page = out.read_text()
    assert page.count("<svg") == 2 and "<script" not in page
    assert "test_app.py::test_feed" in page and "2 change points" in page
    assert "+1.0 MB at c011aaaa" in page


def test_the_html_report_has_a_history_chart_when_a_history_is_configured(tmp_path):
    from pytest_iosmem.reports import html

    db = str(tmp_path / "h.db")
    fill(db)
    doc = json.loads((DATA / "reports" / "local_pass_and_fail.json").read_text())
    with open_store(db) as store:
        doc["tests"][0]["history"] = history_of(store, TEST, "local-p")
    page = html.render(doc)
    assert page.count("<h3>History</h3>") == 1
    assert "30 recorded runs, 2 change points" in page and "<script" not in page
