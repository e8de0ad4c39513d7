"""``iosmem baseline copy|rename``: the new CI image day, all-or-nothing, never overwriting silently."""

import json

from pytest_iosmem.values import Baseline
from pytest_iosmem.baseline import BaselineStore
from pytest_iosmem.values import Profile

from .cli_helpers import iosmem

OLD = Profile("local", "x86_64", "linux-cpython3.11", "Linux x86_64, cpython3.11")
NEW_KEY = "local-linux-cpython3.12-x86_64"
NODE_A, NODE_B = "tests/test_a.py::test_one", "tests/sub/test_b.py::test_two"


def make_store(tmp_path):
    root = tmp_path / "baselines"
    store = BaselineStore(root)
    store.update(OLD, [(NODE_A, Baseline(end=10, peak=20)), (NODE_B, Baseline(end=30, peak=40))])
    return root


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.json"))}


def test_copy_makes_the_baselines_the_new_profiles_own(tmp_path):
    root = make_store(tmp_path)
    proc = iosmem("baseline", "copy", OLD.key, NEW_KEY, "--dir", str(root))
    assert proc.returncode == 0, proc.stderr
    assert "copied 1 baseline(s)" in proc.stdout
    new = Profile("local", "x86_64", "linux-cpython3.12")
    assert new.key == NEW_KEY
    found = BaselineStore(root).lookup(new, NODE_B)
    assert (found.end, found.origin.rule) == (30, "exact")  # now an exact match, no longer borrowed
    doc = json.loads((root / NEW_KEY / "tests/sub/test_b.py.json").read_text())
    assert doc["profile"]["key"] == NEW_KEY and doc["profile"]["copied_from"] == OLD.key
    assert (root / OLD.key / "tests/test_a.py.json").exists()  # copy keeps the source


def test_copy_never_overwrites_without_force_and_writes_nothing(tmp_path):
    root = make_store(tmp_path)
    BaselineStore(root).update(Profile("local", "x86_64", "linux-cpython3.12"),
                               [("tests/sub/test_b.py::test_two", Baseline(end=99, peak=99)),
                                ("tests/sub/test_b.py::test_other", Baseline(end=7, peak=7))])
    before = snapshot(root)
    proc = iosmem("baseline", "copy", OLD.key, NEW_KEY, "--dir", str(root))
    assert proc.returncode == 2
    assert f"{root / NEW_KEY / 'tests/sub/test_b.py.json'} already holds baselines for test_two" in proc.stderr
    assert "nothing was written" in proc.stderr
    assert snapshot(root) == before  # not even test_a.py.json, which had no clash
    proc = iosmem("baseline", "copy", OLD.key, NEW_KEY, "--dir", str(root), "--force")
    assert proc.returncode == 0, proc.stderr
    tests = json.loads((root / NEW_KEY / "tests/sub/test_b.py.json").read_text())["tests"]
    assert tests["test_two"]["end"] == 30 and tests["test_other"]["end"] == 7  # replaced; the rest kept


def test_rename_moves_and_removes_the_source(tmp_path):
    root = make_store(tmp_path)
    proc = iosmem("baseline", "rename", OLD.key, NEW_KEY, "--dir", str(root))
    assert proc.returncode == 0, proc.stderr
    assert not (root / OLD.key).exists()
    assert set(snapshot(root)) == {f"{NEW_KEY}/tests/test_a.py.json", f"{NEW_KEY}/tests/sub/test_b.py.json"}


def test_bad_names_and_corrupt_sources_are_clear_errors(tmp_path):
    root = make_store(tmp_path)
    proc = iosmem("baseline", "copy", "local-nope", NEW_KEY, "--dir", str(root))
    assert proc.returncode == 2 and f"FROM 'local-nope': no baselines for it in {root} (profiles: {OLD.key})" in proc.stderr
    proc = iosmem("baseline", "copy", OLD.key, "simulator-ios_17.2-x86_64", "--dir", str(root))
    assert proc.returncode == 2 and "not a profile key of the same target and model" in proc.stderr
    proc = iosmem("baseline", "copy", OLD.key, "Local Linux", "--dir", str(root))
    assert proc.returncode == 2 and "is not a profile key" in proc.stderr
    bad = root / OLD.key / "tests/test_a.py.json"
    bad.write_text("{oops")
    before = snapshot(root)
    proc = iosmem("baseline", "rename", OLD.key, NEW_KEY, "--dir", str(root))
    assert proc.returncode == 2 and str(bad) in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(root) == before and not (root / NEW_KEY).exists()
