"""Helpers of the ``iosmem`` command tests: the installed console script, and a real gated run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from .helpers import INNER, inner_conftest, memapp_command

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
#: the console script pip installed (``[project.scripts]``): the real entry point users run
IOSMEM = shutil.which("iosmem", path=os.path.dirname(sys.executable)) or shutil.which("iosmem") or "iosmem"

LEAK = 400 * 1024
GATED_TESTS = f'''
import pytest

@pytest.mark.iosmem(leak_per_iteration="100KB")
def test_clean_screen(iosmem, visit):
    for _ in iosmem.iterations(5, warmup=1):
        visit()

@pytest.mark.iosmem(leak_per_iteration="100KB")
@pytest.mark.iosmem_app(args=["--leak", "{LEAK}"])
def test_leaky_screen(iosmem, visit):
    for _ in iosmem.iterations(5, warmup=1):
        visit()
'''


def iosmem(*args: str, cwd: str | Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed ``iosmem`` command; never a shell."""
    return subprocess.run([IOSMEM, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def make_gated_project(path: Path) -> Path:
    """A small project: two gated tests (one clean, one leaking 400 KB per visit) of tests/apps/memapp.py."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (path / "conftest.py").write_text(inner_conftest())
    (path / "test_gated.py").write_text(GATED_TESTS)
    return path


def run_gated(project: Path, *extra: str, report: str = "report.json") -> tuple[subprocess.CompletedProcess, dict[str, Any]]:
    """Run the project's gates with ``--iosmem-json``: a real report, as CI would upload it."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *INNER, f"--iosmem-app={memapp_command()}",
         "--iosmem-interval=0.01", f"--iosmem-json={report}", *extra],
        cwd=project, capture_output=True, text=True, timeout=300,
    )
    path = project / report
    assert path.exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc, json.loads(path.read_text())
