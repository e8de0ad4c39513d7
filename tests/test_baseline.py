"""The baseline store: format, errors that name the file, atomic and concurrent writes."""

import json
import multiprocessing
import os
import sys

import pytest

from pytest_iosmem.baseline import SCHEMA_VERSION, BaselineStore, split_nodeid
from pytest_iosmem.values import Baseline
from pytest_iosmem.errors import BaselineError
from pytest_iosmem.values import Profile

PROFILE = Profile("local", "x86_64", "linux", "ci-host")


def test_round_trip_and_stable_format(tmp_path):
    store = BaselineStore(tmp_path)
    written = store.update(
        PROFILE,
        [
            ("examples/test_gates.py::test_b", Baseline(end=2000, peak=3000, leak_per_iteration=12, iterations=6)),
            ("examples/test_gates.py::TestX::test_a[1]", Baseline(end=1000, peak=1500)),
        ],
    )
    assert written == [tmp_path / "local-linux-x86_64" / "examples" / "test_gates.py.json"]
    text = written[0].read_text()
    assert text.endswith("\n")
    doc = json.loads(text)
    assert doc["schema"] == SCHEMA_VERSION
    assert list(doc["tests"]) == sorted(doc["tests"])  # keys sorted: reviewable diffs
    assert text == json.dumps(doc, indent=2, sort_keys=True) + "\n"
    fresh = BaselineStore(tmp_path)
    assert fresh.load(PROFILE, "examples/test_gates.py::test_b") == Baseline(2000, 3000, 12, None, 6)
    assert fresh.load(PROFILE, "examples/test_gates.py::TestX::test_a[1]").peak == 1500
    assert fresh.load(PROFILE, "examples/test_gates.py::test_missing") is None
    assert fresh.load(Profile("simulator", "iPhone15,2", "iOS 17.5"), "examples/test_gates.py::test_b") is None


def test_update_merges_and_keeps_other_entries(tmp_path):
    store = BaselineStore(tmp_path)
    store.update(PROFILE, [("m.py::test_a", Baseline(1, 1))])
    store.update(PROFILE, [("m.py::test_b", Baseline(2, 2))])
    store.update(PROFILE, [("m.py::test_a", Baseline(3, 3))])
    doc = json.loads((tmp_path / PROFILE.key / "m.py.json").read_text())
    assert doc["tests"] == {
        "test_a": Baseline(3, 3).to_dict(),
        "test_b": Baseline(2, 2).to_dict(),
    }


@pytest.mark.parametrize(
    "content,needle",
    [
        ("{not json", "is corrupt"),
        ('{"schema": 1, "tests": {"test_a": {"end": 1, "peak": 2', "is corrupt"),
        ('{"schema": 99, "tests": {}}', "schema version 99"),
        ('{"tests": {}}', "schema version None"),
        ('{"schema": 1, "tests": []}', "'tests' must be an object"),
        ('{"schema": 1, "tests": {"test_a": {"end": -1, "peak": 2}}}', "end must be a non-negative integer"),
        ('{"schema": 1, "tests": {"test_a": {"peak": 2}}}', "missing metric 'end'"),
        ("[]", "expected a JSON object"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_bad_files_are_clear_errors_and_never_overwritten(tmp_path, content, needle):
    store = BaselineStore(tmp_path)
    path = store.path_for(PROFILE, "m.py")
    path.parent.mkdir(parents=True)
    data = content if isinstance(content, bytes) else content.encode()
    path.write_bytes(data)
    with pytest.raises(BaselineError) as info:
        store.load(PROFILE, "m.py::test_a")
    assert str(path) in str(info.value) and needle in str(info.value)
    with pytest.raises(BaselineError):
        store.update(PROFILE, [("m.py::test_a", Baseline(1, 1))])
    assert path.read_bytes() == data  # untouched
    assert sorted(os.listdir(path.parent)) == ["m.py.json"]  # no temp files left


def test_read_only_directory(tmp_path, monkeypatch):
    store = BaselineStore(tmp_path)
    store.update(PROFILE, [("m.py::test_a", Baseline(1, 1))])
    d = tmp_path / PROFILE.key
    before = (d / "m.py.json").read_bytes()
    if os.geteuid() == 0:
        # root ignores directory permissions: creating the temporary file failing with
        # EACCES stands in for what a read-only directory does to everyone else.
        import errno

        from pytest_iosmem import atomic

        def denied(*a, **k):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
    d.chmod(0o555)
    try:
        with pytest.raises(BaselineError, match="cannot write baseline file.*Permission denied"):
            store.update(PROFILE, [("m.py::test_a", Baseline(5, 5))])
    finally:
        d.chmod(0o755)
    assert (d / "m.py.json").read_bytes() == before


def test_disk_full_leaves_the_old_file_whole(tmp_path, monkeypatch):
    """``os.fsync`` failing with ENOSPC stands in for a full disk (the real failure point of a write)."""
    import errno

    from pytest_iosmem import atomic

    store = BaselineStore(tmp_path)
    store.update(PROFILE, [("m.py::test_a", Baseline(1, 1))])
    path = store.path_for(PROFILE, "m.py")
    before = path.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(BaselineError, match="No space left on device"):
        store.update(PROFILE, [("m.py::test_a", Baseline(9, 9)), ("m.py::test_b", Baseline(9, 9))])
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["m.py.json"]


def _writer(root, worker, count):
    store = BaselineStore(root)
    for i in range(count):
        store.update(PROFILE, [(f"m.py::test_w{worker}_{i}", Baseline(i, i))])


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_four_concurrent_writers_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("fork" if sys.platform != "darwin" else "spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), w, 40)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    doc = json.loads((tmp_path / PROFILE.key / "m.py.json").read_text())
    assert len(doc["tests"]) == 4 * 40


def test_split_nodeid_and_bad_module_paths(tmp_path):
    assert split_nodeid("a/b.py::C::test[x::y]") == ("a/b.py", "C::test[x::y]")
    with pytest.raises(BaselineError):
        split_nodeid("a/b.py")
    with pytest.raises(BaselineError):
        BaselineStore(tmp_path).path_for(PROFILE, "../escape.py")
