"""docs/ci.md's A/B recipe, run as written from the repository root with a real base worktree (slow).

The base is a real commit whose reference app differs from the head's by a known
ballast: ``--regress``'s default changed to 3 MB (an app-wide cache held for the
app's life).  Run as the workflow's steps run (``git worktree add ../base
"$BASE_SHA"``, then the A/B step), head − base must come out near −3 MB with
the interval around it, and nothing flagged.  The equal-builds case is
tests/test_ci_linux_workflow.py's A/B job test (the base is the head's commit).
A base named as a command on another interpreter is refused, as documented.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .test_ci_linux_workflow import ROOT, ab_steps, run_step

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="runs the Linux workflow")]

BALLAST = 3_000_000
GIT = ["git", "-c", "user.name=iosmem tests", "-c", "user.email=tests@example.invalid", "-c", "advice.detachedHead=false"]


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run([*GIT, "-C", str(repo), *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A clone of this repository whose base commit carries the ballast; the head is the clone's checkout."""
    if shutil.which("git") is None or not (ROOT / "examples").is_dir():
        pytest.skip("needs git and examples/")
    pytest.importorskip("pygal")
    repo = tmp_path_factory.mktemp("ab") / "repo"
    clone = subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], capture_output=True, text=True, timeout=120)
    if clone.returncode != 0:
        pytest.skip(f"cannot clone this checkout: {clone.stderr.strip()[:200]}")
    main = repo / "pytest_iosmem" / "refapp" / "__main__.py"
    text = main.read_text()
    assert text.count('"--regress", type=_size, default=0,') == 1  # the line the ballast changes
    main.write_text(text.replace('"--regress", type=_size, default=0,', f'"--regress", type=_size, default={BALLAST},'))
    _git(repo, "commit", "--quiet", "-am", "base: 3 MB of ballast")
    base_sha = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "--quiet", "HEAD~1")  # the head: without the ballast
    return repo, base_sha


def _env(tmp: Path, base_sha: str) -> dict[str, str]:
    return {**os.environ, "GITHUB_STEP_SUMMARY": str(tmp / "step-summary.md"), "BASE_SHA": base_sha,
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}  # `python` is this venv's


def test_a_base_with_known_ballast_is_measured_with_the_right_sign_and_size(repo):
    repo, base_sha = repo
    steps = ab_steps()
    env = _env(repo.parent, base_sha)
    for name in ("Build the base", "A/B memory gates"):
        proc = run_step(steps[name], repo, env)
        assert proc.returncode == 0, (name, proc.stdout[-4000:], proc.stderr[-2000:])
    report = json.loads((repo / "ab-report.json").read_text())
    ends = {t["nodeid"]: t["ab"]["metrics"]["end"] for t in report["tests"] if t["ab"]["metrics"].get("end")}
    assert ends, report["tests"]
    for nodeid, end in ends.items():
        # the head is the base less the ballast: about -3 MB, the interval around it, nothing flagged
        assert end["diff"] == pytest.approx(-BALLAST, rel=0.1), nodeid
        assert end["low"] <= end["diff"] <= end["high"] < 0, nodeid
        assert end["high"] - end["low"] < 0.2 * BALLAST, nodeid
        assert end["outcome"] == "clear", nodeid
    launches = report["tests"][0]["ab"]["launches"]
    assert launches["differences"] == []
    assert launches["base"]["source"] == str(repo.parent / "base")
    # the builds' code is named through links of one length (the path is in every code object)
    assert len(launches["base"]["env"]["PYTHONPATH"]) == len(launches["head"]["env"]["PYTHONPATH"])
    assert launches["base"]["command"] == launches["head"]["command"]
    assert launches["base"]["cwd"] == launches["head"]["cwd"] != str(repo)


def test_a_base_on_another_interpreter_is_refused_as_documented(repo):
    repo, _ = repo
    other = os.path.realpath(sys.executable)
    if other == sys.executable or sys.prefix == sys.base_prefix:
        pytest.skip("needs a venv whose python is a link to another interpreter")
    gates = ab_steps()["A/B memory gates"]["run"].replace("--iosmem-base-app=../base",
                                                          f'--iosmem-base-app="{other} -m pytest_iosmem.refapp --port 0"')
    proc = run_step({"run": gates}, repo, _env(repo.parent, "HEAD"))
    assert proc.returncode == 4, proc.stdout[-2000:] + proc.stderr[-2000:]  # pytest's usage error: no trial ran
    assert "interpreter: base CPython" in proc.stderr and "--iosmem-ab-launch=warn" in proc.stderr
