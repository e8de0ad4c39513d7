"""The CI workflows in docs/ are checked, not just written.

The Linux one (docs/workflows/memory-gates-linux.yml) is *run*: its steps, as
GitHub's runner runs them (``bash -eo pipefail``), against the example suite,
then the documented baseline-update flow on the report it produced.  The macOS
one cannot run here: tests/test_ci_macos_workflow.py checks its shape, its
commands and its shell syntax.  docs/ci.md must show both files as they are.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .cli_helpers import IOSMEM

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / "docs" / "workflows"
LINUX = WORKFLOWS / "memory-gates-linux.yml"
MACOS = WORKFLOWS / "memory-gates-macos.yml"
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]  # GitHub's default shell on Linux and macOS


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _scalar(value: str) -> str:
    value = re.sub(r"\s+#.*$", "", value).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value


def parse_steps(text: str) -> list[dict[str, str]]:
    """The job's steps as flat dicts (``run``, ``if``, ``with.path``, ...).

    A deliberately small, line-based reader for these plain workflow files
    (PyYAML is not a dependency): ``key: value`` lines, ``|`` blocks, one level
    of nesting (``with:``).
    """
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.strip() == "steps:") + 1
    steps: list[dict[str, str]] = []
    item_indent: int | None = None
    parent = ""
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            i += 1
            continue
        indent = _indent(line)
        item_indent = indent if item_indent is None else item_indent
        if indent < item_indent:
            break
        body = line.strip()
        if indent == item_indent and body.startswith("- "):
            steps.append({})
            body, indent, parent = body[2:], indent + 2, ""
        key, _, value = body.partition(":")
        key = key.strip()
        nested = indent > item_indent + 2
        full_key = f"{parent}.{key}" if nested and parent else key
        if not nested:
            parent = key
        if value.strip() in ("|", ">"):
            block = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > indent):
                block.append(lines[i])
                i += 1
            steps[-1][full_key] = textwrap.dedent("\n".join(block)).strip("\n")
            continue
        if value.strip():
            steps[-1][full_key] = _scalar(value)
        i += 1
    return steps


def by_name(path: Path) -> dict[str, dict[str, str]]:
    return {s["name"]: s for s in parse_steps(path.read_text()) if "name" in s}


def test_the_reader_reads_these_files():
    steps = parse_steps(LINUX.read_text())
    assert steps[0] == {"uses": "actions/checkout@v4"}
    assert steps[1] == {"uses": "actions/setup-python@v5", "with.python-version": "3.11"}
    upload = by_name(LINUX)["Upload the reports"]
    assert upload["if"] == "always()" and upload["with.name"] == "iosmem-report"
    assert upload["with.path"].split() == ["iosmem-report.json", "iosmem-report.html", "iosmem-summary.md"]


def test_linux_workflow_shape():
    steps = by_name(LINUX)
    assert list(steps) == ["Install", "Memory gates", "Post the summary", "Upload the reports"]
    gates = steps["Memory gates"]["run"]
    for flag in ("--iosmem-json=iosmem-report.json", "--iosmem-html=iosmem-report.html",
                 "--iosmem-markdown=iosmem-summary.md"):
        assert flag in gates
    assert '>> "$GITHUB_STEP_SUMMARY"' in steps["Post the summary"]["run"]


@pytest.mark.parametrize("path", [LINUX, MACOS], ids=["linux-workflow", "simulator-workflow"])  # "macos" alone is a marker keyword
def test_docs_ci_shows_the_workflow_files_as_they_are(path):
    doc = (ROOT / "docs" / "ci.md").read_text()
    assert f"```yaml\n{path.read_text()}```" in doc, f"docs/ci.md must embed {path.name} verbatim"


def run_step(step: dict[str, str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*BASH, step["run"]], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.xdist_group("examples")
def test_linux_workflow_steps_run_green_and_the_update_flow_works(examples_gates_run, tmp_path):
    """Its "Memory gates" step is the session's one run of the example suite (tests/conftest.py runs it)."""
    steps = by_name(LINUX)
    # Not re-run here: this interpreter already has the package installed (editable) with its extras.
    assert steps["Install"]["run"] == "python -m pip install -e '.[html]'"
    gates = examples_gates_run.proc
    assert gates.returncode == 0, ("Memory gates", gates.stdout[-4000:], gates.stderr[-2000:])
    examples_gates_run.copy_to(tmp_path)  # a copy of its own: this test appends to the summary, updates baselines
    summary = tmp_path / "step-summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary),
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}  # `python` is this venv's
    proc = run_step(steps["Post the summary"], tmp_path, env)
    assert proc.returncode == 0, ("Post the summary", proc.stdout[-4000:], proc.stderr[-2000:])
    for artifact in steps["Upload the reports"]["with.path"].split():
        assert (tmp_path / artifact).is_file(), artifact
    assert "## iOS memory gates" in summary.read_text()
    assert "<svg" in (tmp_path / "iosmem-report.html").read_text()

    # docs/ci.md's flow: the artifact, accepted in one command; the demonstrations of failing gates are refused
    before = {p: p.read_text() for p in (tmp_path / "baselines").rglob("*.json")}
    update = subprocess.run([IOSMEM, "baseline", "update", "iosmem-report.json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert update.returncode == 0, update.stderr
    assert "wrote baselines/" in update.stdout and "refused " in update.stdout
    report = json.loads((tmp_path / "iosmem-report.json").read_text())
    keys = {t["profile"]["key"] for t in report["tests"]}
    assert {p.parent.name for p in (tmp_path / "baselines").rglob("*.json")} >= keys
    for path, text in before.items():  # still valid, same layout: a reviewable diff, not a rewrite
        new = json.loads(path.read_text())
        assert set(new) == set(json.loads(text)) and new["schema"] == 1


def ab_steps() -> dict[str, dict[str, str]]:
    """The steps of the Linux workflow's second job, ``ab`` (A/B on a pull request)."""
    text = LINUX.read_text()
    return {s["name"]: s for s in parse_steps(text[text.index("\n  ab:\n"):]) if "name" in s}


def test_linux_ab_job_shape():
    steps = ab_steps()
    assert list(steps) == ["Install the head", "Build the base", "A/B memory gates", "Post the summary",
                           "Upload the reports"]
    gates = steps["A/B memory gates"]["run"]
    for flag in ("--iosmem-base-app=", "--iosmem-json=ab-report.json", "--iosmem-html=ab-report.html",
                 "--iosmem-markdown=ab-summary.md"):
        assert flag in gates
    assert steps["Upload the reports"]["with.name"] == "iosmem-ab-report"


@pytest.mark.slow
def test_linux_ab_job_runs_green_on_a_pull_request_that_changes_nothing(tmp_path):
    """The A/B job's steps as the runner runs them, in a clone whose base is its own head (equal builds)."""
    if not (ROOT / "examples").is_dir() or shutil.which("git") is None:
        pytest.skip("needs examples/ and git")
    pytest.importorskip("pygal")
    steps = ab_steps()
    assert steps["Install the head"]["run"] == "python -m pip install -e '.[html]'"  # this venv has it (editable)
    repo = tmp_path / "repo"
    clone = subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], capture_output=True, text=True, timeout=120)
    if clone.returncode != 0:
        pytest.skip(f"cannot clone this checkout: {clone.stderr.strip()[:200]}")
    summary = tmp_path / "step-summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "BASE_SHA": "HEAD",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    for name in ("Build the base", "A/B memory gates", "Post the summary"):
        proc = run_step(steps[name], repo, env)
        assert proc.returncode == 0, (name, proc.stdout[-4000:], proc.stderr[-2000:])
    assert (tmp_path / "base" / "pytest_iosmem" / "refapp" / "__main__.py").is_file()
    for artifact in steps["Upload the reports"]["with.path"].split():
        assert (repo / artifact).is_file(), artifact
    report = json.loads((repo / "ab-report.json").read_text())
    assert report["tests"] and all(t["ab"] and t["ab"]["outcome"] == "clear" for t in report["tests"])
    assert all(t["baseline"] is None for t in report["tests"])  # A/B reads no stored baseline
    assert "A/B run: each test ran as paired trials" in summary.read_text()
