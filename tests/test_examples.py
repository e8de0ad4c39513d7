"""The README's main job: the example suite against the reference app.

Runs ``pytest examples`` the way a new user does (a subprocess from the
repository root): it must pass with its summary table, and
``--show-failures`` must show each gate failing for the right reason.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def run_examples(tmp_path, *args, timeout=600):
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "examples", f"--iosmem-json={report}", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )
    doc = json.loads(report.read_text()) if report.exists() else None
    return proc, doc


def test_examples_pass_with_their_summary_table(tmp_path):
    proc, doc = run_examples(tmp_path)
    out = proc.stdout
    assert proc.returncode == 0, out[-4000:]
    assert "iosmem memory gates" in out
    assert "xfailed" in out and "failed" not in out.replace("xfailed", "")
    table = out[out.index("iosmem memory gates"):]
    assert sum(1 for line in table.splitlines() if line.rstrip().endswith(" pass")) == 4
    assert sum(1 for line in table.splitlines() if " xfail " in line) == 9
    results = {r["nodeid"].split("::", 1)[1]: r for r in doc["tests"]}
    assert results["test_clean_screen_does_not_leak"]["findings"] == []
    assert results["test_purging_cache_gives_memory_back"]["metrics"]["reclaimed"] > 2_000_000


def test_show_failures_shows_each_gate_failing_for_its_reason(tmp_path):
    proc, doc = run_examples(tmp_path, "examples/test_failure_demos.py", "--show-failures")
    assert proc.returncode == 1, proc.stdout[-4000:]
    kinds = {r["nodeid"].split("::", 1)[1]: {f["kind"] for f in r["findings"]} for r in doc["tests"]}
    for screen in ("Timer Detail", "Retain Cycle", "Observer", "Map"):
        assert kinds[f"test_leaky_screen[{screen}]"] == {"leak"}, kinds
    assert kinds["test_burst_over_a_tight_peak_limit"] == {"peak"}
    assert kinds["test_burst_too_close_to_the_jetsam_limit"] == {"headroom"}
    assert kinds["test_burst_killed_by_jetsam"] == {"terminated"}
    assert kinds["test_cache_that_ignores_memory_warnings"] == {"no-reclaim"}
    if "test_cache_grew_since_the_baseline" in kinds:  # skipped where no baseline exists for this profile
        assert kinds["test_cache_grew_since_the_baseline"] == {"growth"}
    out = proc.stdout
    assert "leak: +" in out and "per iteration over 6 iterations" in out
    assert "terminated: the app died (jetsam: per-process-limit)" in out
    assert "no-reclaim: memory warning 1 gave back" in out
    # the leak demonstrations record allocation stacks: their failures say where the leak was allocated
    results = {r["nodeid"].split("::", 1)[1]: r for r in doc["tests"]}
    for screen, site in (("Timer Detail", "ViewController.__init__"), ("Map", "Annotation.__init__")):
        top = results[f"test_leaky_screen[{screen}]"]["stacks"][0]
        assert top["site"].startswith(f"{site} (refapp/model.py:"), top
    assert "grown allocation stacks (per iteration):" in out
    assert "at Annotation.__init__ (refapp/model.py:" in out
