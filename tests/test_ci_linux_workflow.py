"""docs/workflows/memory-gates-linux.yml is run, not just written: its steps run here."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "docs" / "workflows" / "memory-gates-linux.yml"


def run_steps(text: str) -> dict[str, str]:
    """name -> run command of the workflow's steps (a line-based read of this simple file)."""
    steps, name = {}, None
    for line in text.splitlines():
        m = re.match(r"\s+- name: (.+)$", line)
        if m:
            name = m.group(1).strip()
        m = re.match(r"\s+run: (.+)$", line)
        if m and name:
            steps[name] = m.group(1).strip()
    return steps


@pytest.mark.slow
def test_linux_workflow_steps_run_green(tmp_path):
    steps = run_steps(WORKFLOW.read_text())
    assert set(steps) == {"Install", "Memory gates"}
    assert steps["Install"] == "python -m pip install -e ."  # the package is already installed here: not re-run
    for d in ("examples", "baselines"):
        shutil.copytree(ROOT / d, tmp_path / d)
    summary = tmp_path / "summary.md"
    cmd = steps["Memory gates"].replace("python ", f"{sys.executable} ", 1)
    proc = subprocess.run(cmd, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "iosmem-report.json").exists() and (tmp_path / "iosmem-report.html").exists()
    assert "## iOS memory gates" in summary.read_text()
