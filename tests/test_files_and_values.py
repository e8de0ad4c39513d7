"""Files that stay right and values that are checked: one validator for baselines on read and write,
no NaN/Infinity in any JSON written, stale temporary files cleaned, report write failures in the exit status."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from pytest_iosmem.baseline import BaselineStore
from pytest_iosmem.errors import BaselineError
from pytest_iosmem.reports import json_report
from pytest_iosmem.results import baseline_candidate
from pytest_iosmem.values import Baseline, Profile


PROFILE = Profile("local", "x86_64", "linux")


@pytest.mark.parametrize("metrics, named", [
    ({"end": 1, "peak": 2, "leak_per_iteration": math.nan}, "leak_per_iteration"),
    ({"end": 1, "peak": 2, "reclaimed": math.inf}, "reclaimed"),
    ({"end": 10**30, "peak": 2}, "end"),  # read as "-100%, pass": the growth check silently off
    ({"end": -100, "peak": 2}, "end"),
    ({"end": "12MB", "peak": 2}, "end"),
    ({"end": 1, "peak": 2, "iterations": -1}, "iterations"),
])
def test_one_validator_refuses_bad_values_on_read_and_write(tmp_path, metrics, named):
    with pytest.raises(BaselineError, match=named):
        Baseline.from_dict(metrics, "here")
    with pytest.raises(BaselineError, match=named):  # the write side: no Baseline holds such a value
        Baseline(**metrics)
    # a file holding it (Python's json reads NaN and Infinity) is a clear error naming the file
    path = tmp_path / PROFILE.key / "m.py.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"schema": 1, "tests": {"test_a": metrics}}))
    with pytest.raises(BaselineError, match=f"{path}.*{named}"):
        BaselineStore(tmp_path).load(PROFILE, "m.py::test_a")


def test_a_report_value_no_baseline_may_hold_is_refused_naming_the_test():
    result = {"nodeid": "t.py::test_x", "outcome": "passed", "findings": [],
              "metrics": {"end": 1000, "peak": 2000, "reclaimed": None, "leak": {"per_iteration": math.nan, "n": 6}}}
    with pytest.raises(BaselineError, match="t.py::test_x.*leak_per_iteration"):
        baseline_candidate(result)


def test_json_is_never_written_with_nan_or_infinity(tmp_path):
    with pytest.raises(ValueError):
        json_report.write({"x": math.inf}, tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists() and list(tmp_path.iterdir()) == []


def test_a_killed_writers_temporary_file_is_removed_by_the_next_update(tmp_path):
    store = BaselineStore(tmp_path)
    store.update(PROFILE, [("m.py::test_a", Baseline(1, 2))])
    left = tmp_path / PROFILE.key / ".m.py.json.k2j3h4.tmp"  # what SIGKILL during write_atomic leaves
    left.write_text('{"schema": 1, "tes')
    other = tmp_path / PROFILE.key / ".n.py.json.zz.tmp"
    other.write_text("{")
    store.update(PROFILE, [("m.py::test_b", Baseline(3, 4))])
    assert not left.exists()
    assert other.exists()  # another file's: its own update or prune removes it
    assert store.sweep_temps() == [other] and not other.exists()
    assert sorted(p.name for p in (tmp_path / PROFILE.key).iterdir()) == ["m.py.json"]


SUITE = """
def test_gated(iosmem):
    pass
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test app's readiness check reads /proc")
@pytest.mark.slow
def test_a_report_that_cannot_be_written_fails_the_run(pytester):
    from .test_newcomer import memapp_run

    (pytester.path / "not-a-dir").write_text("a file where the report's directory should be")
    res = memapp_run(pytester, {"test_suite": SUITE}, "--iosmem-json=not-a-dir/r.json")
    res.assert_outcomes(passed=1)
    res.stdout.fnmatch_lines(["*iosmem json report NOT written to*not-a-dir/r.json*"])
    assert res.ret == pytest.ExitCode.TESTS_FAILED


def test_artifact_names_come_from_the_node_id_plus_a_short_hash():
    from pytest_iosmem.conclude import artifact_label

    # two modules' test_leak wrote (and pointed at) the same files when named by item.name
    a, b = artifact_label("tests/test_a.py::test_leak"), artifact_label("tests/test_b.py::test_leak")
    assert a != b and a.startswith("tests_test_a.py-test_leak-") and b.startswith("tests_test_b.py-test_leak-")
    # two long parametrized ids with one 200-character prefix: one pair of files before
    prefix = "t.py::test_screen[" + "x" * 200
    long1, long2 = artifact_label(prefix + "1]"), artifact_label(prefix + "2]")
    assert long1 != long2 and len(long1) <= 90 and len(long2) <= 90
    for label in (a, b, long1, artifact_label("t.py::test_x[a/b c:\u00e9]")):
        assert all(ch.isalnum() or ch in "_.-" for ch in label), label
    assert artifact_label("t.py::test_x") == artifact_label("t.py::test_x")  # stable across runs


def test_reports_name_paths_relative_to_the_project(tmp_path):
    from pytest_iosmem.reports.writers import relative_paths

    root = tmp_path / "project"
    doc = {"tests": [{
        "artifacts": [str(root / "iosmem-artifacts" / "x.memgraph"), "/elsewhere/y.memgraph"],
        "stacks": [{"frames": [{"function": "f", "file": str(root / "app" / "screen.py"), "line": 3},
                               {"function": "g", "file": "/usr/lib/python3.11/json/decoder.py"}],
                    "app_frames": [{"function": "f", "file": str(root / "app" / "screen.py")}]}],
    }]}
    relative_paths(doc, root)
    [t] = doc["tests"]
    assert t["artifacts"] == [str(Path("iosmem-artifacts") / "x.memgraph"), "/elsewhere/y.memgraph"]
    assert t["stacks"][0]["frames"][0]["file"] == str(Path("app") / "screen.py")
    assert t["stacks"][0]["frames"][1]["file"] == "/usr/lib/python3.11/json/decoder.py"  # outside: kept
    assert t["stacks"][0]["app_frames"][0]["file"] == str(Path("app") / "screen.py")
