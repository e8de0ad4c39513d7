"""``iosmem baseline prune --apply`` never loses a baseline a concurrent update is writing.

Real files and real flock locks; one stand-in: ``collected_nodeids`` stands
for the pytest collection prune runs (here: the test is gone), so the test
does not need a whole project.  The concurrent ``--iosmem-update-baselines``
is a real BaselineStore.update in another thread, let in at the worst moment:
just before prune deletes the file it emptied.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

import pytest

from pytest_iosmem.values import Baseline
from pytest_iosmem.baseline import BaselineStore
from pytest_iosmem.cli import baseline_prune
from pytest_iosmem.values import Profile

PROFILE = Profile("local", "x86_64", "linux-cpython3.11")


@pytest.mark.slow
def test_prune_deletes_an_emptied_file_under_the_lock(tmp_path, monkeypatch):
    store = BaselineStore(tmp_path / "b")
    [path] = store.update(PROFILE, [("tests/test_a.py::test_gone", Baseline(end=1, peak=2))])
    monkeypatch.setattr(baseline_prune, "collected_nodeids", lambda *a, **k: {"tests/test_a.py::test_other"})

    writer_done = threading.Event()

    def concurrent_update():
        BaselineStore(tmp_path / "b").update(PROFILE, [("tests/test_a.py::test_new", Baseline(end=3, peak=4))])
        writer_done.set()

    real_unlink = Path.unlink

    def unlink_after_letting_a_writer_in(self, *a, **k):
        if self == path:
            t = threading.Thread(target=concurrent_update, daemon=True)
            t.start()
            writer_done.wait(2)  # outside the lock it finishes now; under the lock it must wait
        return real_unlink(self, *a, **k)

    monkeypatch.setattr(Path, "unlink", unlink_after_letting_a_writer_in)
    args = argparse.Namespace(dir=str(tmp_path / "b"), rootdir=str(tmp_path), pytest_args="", timeout=60, apply=True)
    assert baseline_prune.run(args) == 0
    assert writer_done.wait(30)
    tests = BaselineStore(tmp_path / "b").read_file(path)["tests"]
    assert "test_new" in tests and "test_gone" not in tests
