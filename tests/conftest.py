"""Fixtures the test modules share.

``examples_gates_run``: the example suite end to end, once per session. It is
the Linux workflow's "Memory gates" step (docs/workflows/memory-gates-linux.yml)
as GitHub's runner runs it, in a copy of examples/ and baselines/, writing the
JSON, HTML and Markdown reports; tests/test_examples.py and
tests/test_ci_linux_workflow.py read what it produced instead of each running
the suite again (~30 s a run). Under pytest-xdist a session fixture runs once
per worker, so the tests that use it are marked ``xdist_group("examples")``:
the README's test command runs with ``--dist loadgroup``, which keeps a group on
one worker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Preloaded: pytester's in-process runs keep the modules the outer run had imported, and would
# otherwise import hypothesis again (through its pytest plugin) in every inner run, ~1 s each.
import hypothesis  # noqa: F401
import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items):
    """The slow tests first (a stable sort: in their order): under pytest-xdist a long test that
    starts last keeps the run going while the other workers have nothing left to do."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@dataclass(frozen=True)
class GatesRun:
    """The "Memory gates" step, run once: its directory (examples/, baselines/, the reports) and its process."""

    path: Path
    proc: subprocess.CompletedProcess

    def copy_to(self, path: Path) -> Path:
        """A private copy of the run's directory, for a test that changes files in it."""
        shutil.copytree(self.path, path, dirs_exist_ok=True)
        return path


@pytest.fixture(scope="session")
def examples_gates_run(tmp_path_factory) -> GatesRun:
    if not (ROOT / "examples").is_dir():
        pytest.skip("examples/ (the example suite the workflow gates) is not in this checkout yet")
    pytest.importorskip("pygal")  # the step writes the HTML report
    from .test_ci_linux_workflow import LINUX, by_name, run_step

    path = tmp_path_factory.mktemp("examples-gates")
    for d in ("examples", "baselines"):
        shutil.copytree(ROOT / d, path / d)
    # -rs: a skipped test says why (the growth demonstration does, where no stored baseline matches).
    # Given through the environment, so that the step's command line is the workflow's, verbatim.
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(path.parent / f"{path.name}-summary.md"), "PYTEST_ADDOPTS": "-rs",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}  # `python` is this venv's
    proc = run_step(by_name(LINUX)["Memory gates"], path, env)
    return GatesRun(path, proc)
