"""``iosmem baseline show | diff | update | prune`` on a real JSON report from a real gated run."""

import json
import shutil
import sys

import pytest

from pytest_iosmem.values import Baseline
from pytest_iosmem.baseline import BaselineStore
from pytest_iosmem.cli import main
from pytest_iosmem.values import Profile

from .cli_helpers import iosmem, make_gated_project, run_gated

# one worker for the whole module (--dist loadgroup): its module-scoped real gated run is made once
pytestmark = pytest.mark.xdist_group("test_cli_baseline")

CLEAN, LEAKY = "test_gated.py::test_clean_screen", "test_gated.py::test_leaky_screen"


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """One real run of two gates (clean, leaking) with --iosmem-json: the CI artifact."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the test app's readiness check reads /proc")
    project = make_gated_project(tmp_path_factory.mktemp("project"))
    proc, doc = run_gated(project)
    assert proc.returncode == 1, proc.stdout[-3000:]  # the leak fails its gate
    outcomes = {t["nodeid"]: t["outcome"] for t in doc["tests"]}
    assert outcomes == {CLEAN: "passed", LEAKY: "failed"}, proc.stdout[-3000:]
    return project, doc


@pytest.fixture
def report(gated, tmp_path):
    shutil.copy(gated[0] / "report.json", tmp_path / "report.json")
    return tmp_path / "report.json"


def profile_of(doc):
    p = doc["tests"][0]["profile"]
    return Profile(p["kind"], p["model"], p["os"], p["name"])


@pytest.mark.slow
def test_update_accepts_the_clean_test_and_refuses_the_leak(report, gated, tmp_path):
    _, doc = gated
    out = iosmem("baseline", "update", str(report), "--dir", str(tmp_path / "b"))
    assert out.returncode == 0, out.stderr
    path = tmp_path / "b" / profile_of(doc).key / "test_gated.py.json"
    assert f"wrote {path}" in out.stdout
    assert f"{CLEAN}: end " in out.stdout and "(new)" in out.stdout
    assert f"refused {LEAKY}: findings: leak (--force accepts it)" in out.stdout
    stored = json.loads(path.read_text())
    clean = next(t for t in doc["tests"] if t["nodeid"] == CLEAN)
    assert list(stored["tests"]) == ["test_clean_screen"]
    assert stored["tests"]["test_clean_screen"]["end"] == clean["metrics"]["end"]
    assert stored["tests"]["test_clean_screen"]["peak"] == clean["metrics"]["peak"]
    assert stored["profile"]["key"] == profile_of(doc).key
    # a second update says what the numbers were
    again = iosmem("baseline", "update", str(report), "--dir", str(tmp_path / "b"))
    assert "(was end " in again.stdout


@pytest.mark.slow
def test_the_pull_request_flow_growth_fails_the_gate_then_one_command_accepts_it(gated, tmp_path):
    project = shutil.copytree(gated[0], tmp_path / "project")
    assert iosmem("baseline", "update", "report.json", cwd=project).returncode == 0  # default --dir baselines
    # The app "grew" since the baseline was taken: store a baseline a third of the real numbers.
    [path] = (project / "baselines").rglob("*.json")
    doc = json.loads(path.read_text())
    for m in doc["tests"].values():
        m["end"], m["peak"] = m["end"] // 3, m["peak"] // 3
    path.write_text(json.dumps(doc))
    proc, run = run_gated(project, report="ci.json")
    clean = next(t for t in run["tests"] if t["nodeid"] == CLEAN)
    assert proc.returncode == 1 and clean["outcome"] == "failed", proc.stdout[-3000:]
    assert {f["kind"] for f in clean["findings"]} == {"growth"}
    assert clean["baseline"]["end"] == doc["tests"]["test_clean_screen"]["end"]
    # diff says the same as the gate; update accepts the growth (and only the growth)
    assert iosmem("baseline", "diff", "--report", "ci.json", cwd=project).returncode == 1
    out = iosmem("baseline", "update", "ci.json", "--only-grown", cwd=project)
    assert out.returncode == 0 and "refused" not in out.stdout and LEAKY not in out.stdout, out.stdout
    assert f"{CLEAN}: end " in out.stdout and "(was end " in out.stdout
    assert list(json.loads(path.read_text())["tests"]) == ["test_clean_screen"]  # the leak stays out
    stored = json.loads(path.read_text())["tests"]["test_clean_screen"]
    assert (stored["end"], stored["peak"]) == (clean["metrics"]["end"], clean["metrics"]["peak"])
    assert iosmem("baseline", "diff", "--report", "ci.json", cwd=project).returncode == 0


@pytest.mark.slow
def test_expected_failures_are_never_accepted_without_force(report, tmp_path):
    doc = json.loads(report.read_text())
    for t in doc["tests"]:
        t["outcome"] = "xfailed"
        t["findings"] = [{"kind": "growth", "message": "growth: demo", "measured": 2, "limit": 1}]
    xfail = tmp_path / "xfail.json"
    xfail.write_text(json.dumps(doc))
    out = iosmem("baseline", "update", str(xfail), "--dir", str(tmp_path / "b"))
    assert out.returncode == 0 and "nothing to update" in out.stdout
    assert f"refused {CLEAN}: outcome xfailed; findings: growth" in out.stdout
    # a demonstration of the growth gate is shown as growth, but is not a regression
    iosmem("baseline", "update", str(report), "--dir", str(tmp_path / "b"))
    for t in doc["tests"]:
        t["metrics"]["end"] *= 2
    xfail.write_text(json.dumps(doc))
    diff = iosmem("baseline", "diff", "--report", str(xfail), "--dir", str(tmp_path / "b"))
    assert diff.returncode == 0, diff.stdout
    assert "grew end (xfailed: expected)" in diff.stdout


@pytest.mark.slow
def test_force_accepts_the_leak_too(report, tmp_path):
    out = iosmem("baseline", "update", str(report), "--force", "--dir", str(tmp_path / "b"))
    assert out.returncode == 0 and "refused" not in out.stdout
    [path] = (tmp_path / "b").rglob("*.json")
    assert sorted(json.loads(path.read_text())["tests"]) == ["test_clean_screen", "test_leaky_screen"]


@pytest.mark.slow
def test_show_lists_by_profile_and_test(report, gated, tmp_path):
    iosmem("baseline", "update", str(report), "--force", "--dir", str(tmp_path / "b"))
    out = iosmem("baseline", "show", "--dir", str(tmp_path / "b"))
    assert out.returncode == 0
    key = profile_of(gated[1]).key
    rows = [line for line in out.stdout.splitlines() if line.startswith(key)]
    assert [r.split()[1] for r in rows] == [CLEAN, LEAKY]
    assert " MB" in rows[0]
    other = iosmem("baseline", "show", "--dir", str(tmp_path / "b"), "--profile", "simulator-ios_99")
    assert other.returncode == 2 and "--profile simulator-ios_99: no baselines for it" in other.stderr
    assert key in other.stderr  # says which profiles there are


@pytest.mark.slow
def test_diff_of_a_report_against_the_baselines(report, tmp_path):
    d = str(tmp_path / "b")
    iosmem("baseline", "update", str(report), "--dir", d)
    same = iosmem("baseline", "diff", "--report", str(report), "--dir", d)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "new (no baseline)" in same.stdout and "+0 B (+0.0%)" in same.stdout
    doc = json.loads(report.read_text())
    for t in doc["tests"]:
        t["metrics"]["end"] = int(t["metrics"]["end"] * 1.5)
    grown = tmp_path / "grown.json"
    grown.write_text(json.dumps(doc))
    out = iosmem("baseline", "diff", "--report", str(grown), "--dir", d)
    assert out.returncode == 1, out.stdout
    assert "GREW end" in out.stdout and "(+50.0%)" in out.stdout
    assert "1 test(s) grew more than 10%" in out.stdout
    tolerant = iosmem("baseline", "diff", "--report", str(grown), "--dir", d, "--max-growth", "60%")
    assert tolerant.returncode == 0


@pytest.mark.slow
def test_diff_of_a_report_against_another_profile(report, tmp_path):
    store = BaselineStore(tmp_path / "b")
    other = Profile("local", "arm64", "macos-14-cpython3.12")
    store.update(other, [(CLEAN, Baseline(end=1_000_000, peak=1_000_000))])
    out = iosmem("baseline", "diff", "--report", str(report), "--dir", str(tmp_path / "b"), "--profile", other.key)
    assert out.returncode == 1 and "GREW end,peak" in out.stdout
    assert f"baselines: {other.key}" in out.stdout


def test_diff_of_two_profiles(tmp_path, capsys):
    store = BaselineStore(tmp_path)
    a, b = Profile("simulator", "iPhone15,2", "iOS 17.5"), Profile("simulator", "iPhone15,2", "iOS 18.0")
    store.update(a, [("t.py::test_x", Baseline(100_000_000, 120_000_000)), ("t.py::test_gone", Baseline(1, 1))])
    store.update(b, [("t.py::test_x", Baseline(140_000_000, 150_000_000))])
    assert main(["baseline", "diff", a.key, b.key, "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"A = {a.key}" in out and "+40.0 MB (+40.0%)" in out and "+30.0 MB (+25.0%)" in out
    assert "not in the run" in out
    assert main(["baseline", "diff", a.key, "simulator-nope", "--dir", str(tmp_path)]) == 2
    assert "profile simulator-nope: no baselines for it" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["diff"], "give two profile keys"),
    (["diff", "a", "b", "--report", "r.json"], "give two profiles or --report, not both"),
    (["diff", "--report", "r.json", "--max-growth", "lots"], "--max-growth 'lots'"),
    (["diff", "--report", "missing.json"], "missing.json: no such report file"),
    (["update", "missing.json"], "missing.json: no such report file"),
])
def test_usage_errors(args, message, tmp_path, capsys):
    (tmp_path / "r.json").write_text("{}")
    assert main(["baseline", *[a.replace("r.json", str(tmp_path / "r.json")) for a in args],
                 "--dir", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_update_refuses_a_file_that_is_not_a_report(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something-else"}')
    out = iosmem("baseline", "update", str(bad), "--dir", str(tmp_path / "b"))
    assert out.returncode == 2 and f"{bad}: not a pytest-iosmem report" in out.stderr
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
@pytest.mark.parametrize("content, message", [
    ("{oops", "is corrupt"),
    ('{"schema": 99, "tests": {}}', "has schema version 99"),
])
def test_a_corrupt_baseline_file_is_exit_2_naming_it_and_never_modified(report, gated, tmp_path, content, message):
    key = profile_of(gated[1]).key
    bad = tmp_path / "b" / key / "test_gated.py.json"
    bad.parent.mkdir(parents=True)
    bad.write_text(content)
    for args in (["update", str(report)], ["update", str(report), "--force"], ["show"],
                 ["diff", "--report", str(report)], ["prune", "--rootdir", str(gated[0]), "--apply"]):
        out = iosmem("baseline", *args, "--dir", str(tmp_path / "b"))
        assert out.returncode == 2, (args, out.stdout)
        assert f"baseline file {bad} {message}" in out.stderr and "Traceback" not in out.stderr, args
        assert bad.read_text() == content
    assert [p.name for p in bad.parent.iterdir()] == ["test_gated.py.json"]


@pytest.mark.slow
def test_prune_dry_run_then_apply(gated, tmp_path):
    project = gated[0]
    store = BaselineStore(tmp_path / "b")
    p = Profile("local", "x86_64", "linux")
    store.update(p, [(CLEAN, Baseline(1, 1)), ("test_gated.py::test_renamed", Baseline(2, 2))])
    store.update(p, [("test_deleted.py::test_old", Baseline(3, 3))])
    kept_file = tmp_path / "b" / p.key / "test_gated.py.json"
    deleted_file = tmp_path / "b" / p.key / "test_deleted.py.json"
    before = kept_file.read_text()

    dry = iosmem("baseline", "prune", "--rootdir", str(project), "--dir", str(tmp_path / "b"))
    assert dry.returncode == 0, dry.stderr
    assert f"would remove {kept_file}: test_renamed" in dry.stdout
    assert f"would remove {deleted_file}: test_old" in dry.stdout
    assert "dry run: 2 baseline(s) would be removed" in dry.stdout
    assert kept_file.read_text() == before and deleted_file.exists()  # nothing changed, not even the empty file

    done = iosmem("baseline", "prune", "--rootdir", str(project), "--dir", str(tmp_path / "b"), "--apply")
    assert done.returncode == 0, done.stderr
    assert f"deleted {deleted_file} (no test left)" in done.stdout
    assert not deleted_file.exists()
    assert list(json.loads(kept_file.read_text())["tests"]) == ["test_clean_screen"]
    again = iosmem("baseline", "prune", "--rootdir", str(project), "--dir", str(tmp_path / "b"))
    assert "all 1 stored baselines belong to tests that exist" in again.stdout


@pytest.mark.slow
def test_prune_never_prunes_on_an_empty_or_broken_collection(tmp_path):
    store = BaselineStore(tmp_path / "b")
    p = Profile("local", "x86_64", "linux")
    store.update(p, [("test_x.py::test_a", Baseline(1, 1))])
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "pytest.ini").write_text("[pytest]\n")
    out = iosmem("baseline", "prune", "--rootdir", str(empty), "--dir", str(tmp_path / "b"), "--apply")
    assert out.returncode == 2 and "collected no test" in out.stderr and "nothing is pruned" in out.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pytest.ini").write_text("[pytest]\n")
    (broken / "test_x.py").write_text("import no_such_module\ndef test_a(): pass\n")
    out = iosmem("baseline", "prune", "--rootdir", str(broken), "--dir", str(tmp_path / "b"), "--apply")
    assert out.returncode == 2 and "failed (pytest exit 2); nothing is pruned" in out.stderr
    assert "no_such_module" in out.stderr
    out = iosmem("baseline", "prune", "--rootdir", str(tmp_path / "nowhere"), "--dir", str(tmp_path / "b"))
    assert out.returncode == 2 and "--rootdir" in out.stderr and "no such directory" in out.stderr
    assert list(json.loads(next((tmp_path / "b").rglob("*.json")).read_text())["tests"]) == ["test_a"]


def _report_on(profile: Profile, metrics: dict, path) -> str:
    """A JSON report of one test run on ``profile`` (the fields ``baseline diff`` reads)."""
    doc = {"schema": "pytest-iosmem-report", "schema_version": 1, "tests": [
        {"nodeid": "t.py::test_growth", "outcome": "failed", "profile": profile.to_dict(), "metrics": metrics}]}
    path.write_text(json.dumps(doc))
    return str(path)


def test_diff_of_a_report_uses_the_gates_nearest_profile_and_names_it(tmp_path, capsys):
    """Issue 21 item 5: a run on Python 3.13 is compared with the 3.11 baselines the gate used, not called new."""
    store = BaselineStore(tmp_path / "b")
    old = Profile("local", "x86_64", "linux-cpython3.11")
    store.update(old, [("t.py::test_growth", Baseline(end=10_000_000, peak=12_000_000))])
    report = _report_on(Profile("local", "x86_64", "linux-cpython3.13"), {"end": 17_200_000, "peak": 12_000_000},
                        tmp_path / "r.json")
    assert main(["baseline", "diff", "--report", report, "--dir", str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert "GREW end" in out and "+72.0%" in out and f"vs {old.key}, nearest" in out
    assert "new (no baseline)" not in out and "nearest stored one (as the gate)" in out
    # pinned to the exact profile, as --iosmem-baseline-profile=exact: nothing stored for 3.13
    assert main(["baseline", "diff", "--report", report, "--dir", str(tmp_path / "b"), "--profile", "exact"]) == 0
    assert "new (no baseline)" in capsys.readouterr().out
    assert main(["baseline", "diff", "--report", report, "--dir", str(tmp_path / "b"), "--profile", "local-nope"]) == 2
    assert "--profile local-nope: no baselines for it" in capsys.readouterr().err


@pytest.mark.parametrize("metric, value", [("end", -100), ("end", "12MB"), ("peak", float("nan"))])
def test_update_refuses_a_report_value_no_baseline_may_hold_in_one_line(report, tmp_path, metric, value):
    doc = json.loads(report.read_text())
    clean = next(t for t in doc["tests"] if t["nodeid"] == CLEAN)
    clean["metrics"][metric] = value
    report.write_text(json.dumps(doc))  # Python writes NaN bare, as a hand-edited or foreign report may hold it
    out = iosmem("baseline", "update", str(report), "--dir", str(tmp_path / "b"))
    assert out.returncode == 2, out.stdout
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert CLEAN in out.stderr and metric in out.stderr
    assert not (tmp_path / "b").exists()  # nothing written
