"""``pytest examples/appium`` as a user runs it after ``pip install -e '.[appium]'``: the Appium
examples through the real Appium Python client against the reference app, on their baselines."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("appium")

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

SCREENS = {"test_clean_screen_does_not_leak", "test_burst_is_a_peak_not_a_leak",
           "test_purging_cache_gives_memory_back", "test_app_state_through_the_session"}


def test_appium_examples_pass_clean_screens_and_fail_leaky_ones_for_their_reason(tmp_path):
    report = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", "examples/appium", f"--iosmem-json={report}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    out = proc.stdout
    assert proc.returncode == 0, out[-4000:]
    results = {r["nodeid"].split("::", 1)[1]: r for r in json.loads(report.read_text())["tests"]}
    outcomes = {k: r["outcome"] for k, r in results.items()}
    assert {k for k, v in outcomes.items() if v == "passed"} == SCREENS, outcomes
    demos = {k: v for k, v in outcomes.items() if k not in SCREENS}
    assert len(demos) == 7 and set(demos.values()) == {"xfailed"}, outcomes
    kinds = {k: {f["kind"] for f in r["findings"]} for k, r in results.items() if k in demos}
    assert all("leak" in kinds[f"test_leaky_screen[{s}]"] for s in ("Timer Detail", "Retain Cycle", "Observer", "Map"))
    assert "objects" in kinds["test_photo_detail_keeps_its_view_controller"]
    assert "no-reclaim" in kinds["test_stubborn_cache_ignores_the_warning"]
    assert "peak" in kinds["test_burst_over_a_tight_peak_limit"]
    # the committed baselines are compared (their own profile's, or the nearest one on another Python)
    assert all(results[n]["baseline"] for n in SCREENS), {n: results[n]["baseline_origin"] for n in SCREENS}


def test_plain_examples_run_leaves_the_appium_examples_out():
    proc = subprocess.run([sys.executable, "-m", "pytest", "examples", "--collect-only", "-q"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "appium/" not in proc.stdout and "14 tests collected" in proc.stdout
