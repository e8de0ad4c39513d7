"""A/B mode against the stored-baseline check: detection and false positives on the reference app.

Each *job* is one real ``pytest`` run in A/B mode (``--iosmem-base-app``), as
a pull request's CI job would be: the base is the unchanged reference app,
the head the same app started with ``--regress`` (an app-wide cache larger
by 0%, 1%, 2% or 5% of the test's settled end footprint).  The gated test
opens and closes a screen twice; its limit is ``max_growth=LIMIT`` (default
1%: a team that wants a 2% regression caught must allow less than 2%) with
``--noise-floor`` (default 0: A/B applies the growth check's noise floor, 1 MB
by default, which on this 15 MB app would be a 7% limit).

Per condition: how often the A/B gate found a regression (detection rate, or
false-positive rate for head = base), how often it was inconclusive, the
pairs used (median, max) and the wall time per test.  Beside it, on the same
runs, the stored-baseline check: the first head trial of every job (what a
plain run measures) against a baseline recorded by an earlier process
(``--iosmem-update-baselines`` on the base), with the growth rule at its
defaults (10%, noise floor 1 MB) and at the same limit with no noise floor;
and, with ``--baseline-app CMD``, against a baseline recorded by CMD (e.g. the
reference app on another Python: the "machine change" a stored baseline
suffers and an A/B run does not).  ``--out FILE`` keeps every job's numbers.

    python bench/ab_quality.py [--jobs 20] [--limit 1%] [--pairs 6:20] \
        [--baseline-app "env PYTHONPATH=$PWD /path/to/python3.12 -m pytest_iosmem.refapp --port 0"]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_iosmem.units import parse_percent  # noqa: E402

REFAPP = f"{sys.executable} -m pytest_iosmem.refapp --port 0"
TEST = """
import pytest

@pytest.mark.iosmem(leak_per_iteration=None)
def test_open_screen(wda_session, iosmem):
    for _ in range(2):
        wda_session(label="Clean").click()
        wda_session(label="Back").click()
"""


def pytest_run(project: Path, *args: str) -> tuple[dict, float]:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args,
                           "--iosmem-json=r.json"], cwd=project, capture_output=True, text=True, timeout=900)
    wall = time.monotonic() - start
    path = project / "r.json"
    if not path.exists():
        raise SystemExit(f"pytest wrote no report (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    doc = json.loads(path.read_text())
    path.unlink()
    return doc["tests"][0], wall


def stored_rule(head_end: int, base_end: int, fraction: float, floor: int) -> bool:
    """The stored-baseline growth rule of analysis._check_growth."""
    return head_end - base_end > max(fraction * base_end, floor)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=20)
    ap.add_argument("--limit", default="1%")
    ap.add_argument("--pairs", default="6:20")
    ap.add_argument("--noise-floor", default="0", help="A/B noise floor (the growth check's; default 0 here: "
                    "a 1%% limit on a 15 MB app is far below the gate's default 1 MB floor)")
    ap.add_argument("--regressions", default="0,1,2,5", help="head regressions in %% of the footprint")
    ap.add_argument("--baseline-app", default=None, help="record a second stored baseline with this app command")
    ap.add_argument("--out", default=None, help="write every job's numbers to this JSON file")
    a = ap.parse_args()
    limit = parse_percent(a.limit)
    project = Path(tempfile.mkdtemp(prefix="ab-bench-"))
    (project / "test_ab.py").write_text(TEST)
    (project / "pytest.ini").write_text("[pytest]\n")
    # the stored baseline, recorded by an earlier process on the base build
    base_run, _ = pytest_run(project, f"--iosmem-app={REFAPP}", "--iosmem-update-baselines")
    baseline_end = int(base_run["metrics"]["end"])
    other_end = None
    if a.baseline_app:
        other_run, _ = pytest_run(project, f"--iosmem-app={a.baseline_app}", "--iosmem-update-baselines")
        other_end = int(other_run["metrics"]["end"])
        print(f"second stored baseline ({a.baseline_app}): end {other_end / 1e6:.2f} MB")
    jobs_out = []
    print(f"stored baseline (earlier process): end {baseline_end / 1e6:.2f} MB; A/B limit max_growth={a.limit}; "
          f"pairs {a.pairs}; {a.jobs} jobs per condition")
    print(f"{'head':>10} {'A/B found':>9} {'inconcl.':>8} {'pairs med/max':>13} {'s/test':>7} "
          f"{'stored@10%,1MB':>14} {'stored@' + a.limit + ',0':>12}" + (f" {'other-baseline@' + a.limit + ',0':>20}" if other_end else ""))
    for pct in (float(p) for p in a.regressions.split(",")):
        regress = int(baseline_end * pct / 100)
        head = f"{REFAPP} --regress {regress}" if regress else REFAPP
        found = inconclusive = stored_default = stored_tight = stored_other = 0
        pairs, walls = [], []
        for _ in range(a.jobs):
            r, wall = pytest_run(project, f"--iosmem-base-app={REFAPP}", f"--iosmem-app={head}",
                                 f"--iosmem-ab-pairs={a.pairs}", f"--iosmem-max-growth={a.limit}",
                                 f"--iosmem-noise-floor={a.noise_floor}")
            ab = r["ab"]
            found += ab["outcome"] == "finding"
            inconclusive += ab["outcome"] == "inconclusive"
            pairs.append(ab["pairs"])
            walls.append(wall)
            first_head = next(t["end"] for t in ab["trials"] if t["build"] == "head")
            stored_default += stored_rule(first_head, baseline_end, 0.10, 1_000_000)
            stored_tight += stored_rule(first_head, baseline_end, limit, 0)
            if other_end:
                stored_other += stored_rule(first_head, other_end, limit, 0)
            jobs_out.append({"regress_percent": pct, "regress_bytes": regress, "outcome": ab["outcome"],
                             "pairs": ab["pairs"], "wall": wall, "first_head_end": first_head,
                             "end": ab["metrics"].get("end")})
        label = "= base" if not regress else f"+{pct:g}%"
        n = a.jobs
        print(f"{label:>10} {found / n:>9.0%} {inconclusive / n:>8.0%} "
              f"{statistics.median(pairs):>6g}/{max(pairs):<6d} {statistics.median(walls):>7.1f} "
              f"{stored_default / n:>14.0%} {stored_tight / n:>12.0%}"
              + (f" {stored_other / n:>20.0%}" if other_end else ""), flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps({"baseline_end": baseline_end, "other_baseline_end": other_end,
                                           "jobs": jobs_out}, indent=1))


if __name__ == "__main__":
    main()
