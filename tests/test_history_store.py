"""The history store on both back-ends: one transaction per run, concurrent writers lose nothing,
migrations apply once, a store that cannot be reached is a clear error naming it."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3

import pytest

from pytest_iosmem.history.records import ResultRow, RunInfo, run_from_report
from pytest_iosmem.history.schema import SCHEMA_VERSION
from pytest_iosmem.history.store import HistoryError, describe, open_store

from .cli_helpers import DATA
from .history_backends import history_target  # noqa: F401 (fixture)


def row(nodeid="t.py::test_a", end=1000, profile="local-p"):
    return ResultRow(nodeid, profile, "passed", end, end + 10, 0.0, None)


def test_a_run_and_its_rows_round_trip(history_target):
    with open_store(history_target) as store:
        run_id = store.append(RunInfo(created="2026-12-01T00:00:00+00:00", commit="abc123", branch="main"),
                              [row(end=1000), row("t.py::test_b", end=2000)])
        store.append(RunInfo(created="2026-12-02T00:00:00+00:00", commit="def456", branch="main"), [row(end=1100)])
        series = store.series("t.py::test_a", "local-p")
        assert [p.value for p in series] == [1000, 1100]
        assert [p.commit for p in series] == ["abc123", "def456"]
        assert series[0].run_id == run_id
        assert [p.value for p in store.series("t.py::test_a", "local-p", "peak")] == [1010, 1110]
        assert store.tests() == [("t.py::test_a", "local-p", 2), ("t.py::test_b", "local-p", 1)]


def test_a_run_is_one_transaction_nothing_lands_when_a_row_fails(history_target):
    with open_store(history_target) as store:
        with pytest.raises(HistoryError, match="history"):
            # the same (test, profile) twice breaks the primary key on the second row
            store.append(RunInfo(created="2026-12-01T00:00:00+00:00"), [row(), row()])
        assert store.run_count() == 0 and store.result_count() == 0


def test_the_same_run_key_is_appended_once(history_target):
    with open_store(history_target) as store:
        info = RunInfo(created="2026-12-01T00:00:00+00:00", run_key="report:abc")
        assert store.append(info, [row()]) is not None
        assert store.append(info, [row()]) is None
        assert store.run_count() == 1


def test_reopening_migrates_nothing_and_a_newer_schema_is_refused(history_target):
    open_store(history_target).close()
    with open_store(history_target) as store:
        assert store.migrate() == SCHEMA_VERSION
        with store._transaction() as cur:
            cur.execute("INSERT INTO iosmem_schema_version (version) VALUES (99)")
    with pytest.raises(HistoryError, match="schema version 99 is newer"):
        open_store(history_target)


def _writer(target: str, name: str, runs: int) -> None:
    with open_store(target, timeout=60) as store:
        for i in range(runs):
            store.append(RunInfo(created=f"2026-12-01T00:00:{i:02d}+00:00", commit=f"{name}{i}"),
                         [row(f"t.py::{name}", end=1000 + i), row(f"t.py::{name}_b", end=i)])


def test_two_concurrent_writers_lose_nothing(history_target):
    """Two processes (two CI jobs) start on an empty history at once: both migrate, both append."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(history_target, name, 25)) for name in ("one", "two")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    with open_store(history_target) as store:
        assert store.run_count() == 50
        assert store.result_count() == 100
        assert [p.value for p in store.series("t.py::one", "local-p")] == [1000 + i for i in range(25)]
        assert [p.value for p in store.series("t.py::two", "local-p")] == [1000 + i for i in range(25)]


def test_a_sqlite_history_that_cannot_be_opened_names_the_file(tmp_path):
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(HistoryError, match=r"history .*dir\.db"):
        open_store(str(tmp_path / "dir.db"))


def test_a_file_that_is_not_a_database_names_the_file(tmp_path):
    bad = tmp_path / "h.db"
    bad.write_text("not sqlite " * 100)
    with pytest.raises(HistoryError, match=r"h\.db.*not a database"):
        open_store(str(bad))


def test_a_postgres_url_that_cannot_be_reached_names_it_without_the_password():
    pytest.importorskip("psycopg")
    with pytest.raises(HistoryError, match=r"postgresql://ci@127\.0\.0\.1:1/x: .*") as info:
        open_store("postgresql://ci:secret@127.0.0.1:1/x", timeout=2)
    assert "secret" not in str(info.value)
    assert describe("postgresql://ci:secret@db:5432/x") == "postgresql://ci@db:5432/x"


def test_a_report_is_imported_as_one_run_keyed_by_its_content(history_target):
    report = DATA / "reports" / "local_pass_and_fail.json"
    info, rows = run_from_report(report, commit="abc", branch="main")
    doc = json.loads(report.read_text())
    assert info.created == doc["created"]
    assert {r.nodeid for r in rows} == {t["nodeid"] for t in doc["tests"]}
    with open_store(history_target) as store:
        assert store.append(info, rows) is not None
        assert store.append(*run_from_report(report)) is None  # the same file: already there
        assert store.result_count() == len(rows)


def test_sqlite_needs_only_the_standard_library():
    assert sqlite3.sqlite_version_info >= (3, 35)  # ON CONFLICT ... RETURNING


def test_the_run_is_named_from_our_variables_then_the_ci_s(tmp_path):
    from pytest_iosmem.history.records import detect_run_info

    ours = detect_run_info(tmp_path, "mac1", {"IOSMEM_HISTORY_COMMIT": "abc", "IOSMEM_HISTORY_BRANCH": "main",
                                              "GITHUB_SHA": "zzz", "GITHUB_REF_NAME": "other"})
    assert (ours.commit, ours.branch, ours.host) == ("abc", "main", "mac1")
    gh = detect_run_info(tmp_path, None, {"GITHUB_SHA": "def", "GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v2.1"})
    assert (gh.commit, gh.branch, gh.tag) == ("def", None, "v2.1")
    gl = detect_run_info(tmp_path, None, {"CI_COMMIT_SHA": "123", "CI_COMMIT_BRANCH": "master"})
    assert (gl.commit, gl.branch) == ("123", "master")
