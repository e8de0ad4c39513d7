"""The plugin's history, the way users run it: an append at the end of a run (once, also under
pytest-xdist), main-branch only by default, a history that cannot be reached warns and never
fails the tests unless asked, every option checked at the start."""

from __future__ import annotations

import sys

import pytest

from pytest_iosmem.history.store import open_store

from .history_backends import history_target  # noqa: F401 (fixture)

pytest.importorskip("ruptures")  # before the in-process inner runs (numpy loads once per process)
try:  # and psycopg too, so its exception classes stay one set
    import psycopg  # noqa: F401
except ImportError:
    pass

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the local target's footprint (/proc)")

TESTS = """
import pytest

@pytest.mark.parametrize("n", range({n}))
@pytest.mark.iosmem
def test_settled(iosmem, n):
    iosmem.settle()
"""


def run(pytester, *args, n=1):
    pytester.makepyfile(test_app=TESTS.format(n=n))
    return pytester.runpytest("-p", "no:cacheprovider", *args)


@pytest.mark.slow
def test_a_run_appends_its_results_once_also_under_xdist(pytester, history_target, monkeypatch):
    monkeypatch.setenv("IOSMEM_HISTORY_COMMIT", "abc1234")
    res = run(pytester, f"--iosmem-history={history_target}", "--iosmem-history-record=always", "-n", "2", n=4)
    res.assert_outcomes(passed=4)
    res.stdout.fnmatch_lines(["iosmem: history: 4 results recorded at abc1234 in *"])
    with open_store(history_target) as store:
        assert store.run_count() == 1 and store.result_count() == 4


@pytest.mark.slow
def test_auto_records_the_main_branch_only(pytester, monkeypatch, tmp_path):
    db = tmp_path / "h.db"
    monkeypatch.setenv("IOSMEM_HISTORY_BRANCH", "feature/x")
    run(pytester, f"--iosmem-history={db}").assert_outcomes(passed=1)
    monkeypatch.setenv("IOSMEM_HISTORY_BRANCH", "main")
    run(pytester, f"--iosmem-history={db}").assert_outcomes(passed=1)
    with open_store(str(db)) as store:
        assert store.run_count() == 1


def test_an_unreachable_history_warns_and_the_tests_pass(pytester, tmp_path):
    (tmp_path / "dir.db").mkdir()  # not a database file: cannot be opened
    res = run(pytester, f"--iosmem-history={tmp_path / 'dir.db'}", "--iosmem-history-record=always",
              "--iosmem-max-creep=5%")
    res.assert_outcomes(passed=1)
    assert res.ret == 0
    res.stdout.fnmatch_lines(["*HistoryWarning: iosmem: creep not judged: history *dir.db*",
                              "iosmem: history: this run was not recorded: history *dir.db*"])


def test_an_unreachable_history_fails_when_asked(pytester, tmp_path):
    (tmp_path / "dir.db").mkdir()
    res = run(pytester, f"--iosmem-history={tmp_path / 'dir.db'}", "--iosmem-history-record=always",
              "--iosmem-history-unreachable=fail", "--iosmem-max-creep=5%")
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*creep not judged: history *dir.db*",
                              "*this run was not recorded*(--iosmem-history-unreachable=fail)"])


def test_bad_history_options_are_one_usage_error_naming_each(pytester):
    res = run(pytester, "--iosmem-max-creep=lots", "--iosmem-creep-since=two words", "--iosmem-history-record=often")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines([
        "*--iosmem-history-record='often': choose auto, always or never*",
        "*--iosmem-max-creep='lots'*",
        "*--iosmem-max-creep='lots' needs a history*--iosmem-history*",
        "*--iosmem-creep-since: 'two words'*",
    ])
