"""Detection quality of the leak gate on the reference app, beside a plain rule.

For leak sizes given as fractions of the app's footprint, runs the gated
scenario (6 measured iterations after 2 warm-ups, each a visit of the
"Timer Detail" screen that leaks SIZE per visit) on a fresh app each run and
counts how often a leak is found (recall).  Column @128KB is the plugin's
verdict at its defaults (the sequential verdict engine: iterations are added
while undecided); columns @0 and @0.5% apply the first version's rule (slope
estimate above that limit and Mann–Kendall p < 0.05 against zero) to the
same readings.  Runs the clean and burst screens
many times and counts false positives.  Beside each, on the very same runs,
what an XCTest-style rule says: "average of the last 5 iterations above the
baseline average by 10%", the baseline being the mean of clean runs.

Goal: leaks of 1% of the footprint per iteration found in >= 95% of runs
within 6 measured iterations; no false positive in 100 clean runs.

    python bench/detection_quality.py [--runs 20] [--clean-runs 100] [--fractions 0.0025,0.005,0.01,0.02]
"""

from __future__ import annotations

import argparse
import statistics
import time

from _harness import RefApp, detects, gated_run, plain_rule


def one_run(screen: str, *app_args: str):
    ref = RefApp(*app_args)
    try:
        return gated_run(ref, screen)
    finally:
        ref.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20, help="runs per leak size")
    ap.add_argument("--clean-runs", type=int, default=100, help="runs of each non-leaking screen")
    ap.add_argument("--fractions", default="0.0025,0.005,0.01,0.02")
    a = ap.parse_args()
    t0 = time.monotonic()

    # Baseline: the leaky screen with its leak switched off (the "previous version").
    base_runs = [one_run("Timer Detail", "--size", "timer=0") for _ in range(5)]
    base_mean = statistics.fmean(v for r in base_runs for v in r.values)
    print(f"reference app footprint (timer screen, no leak): {base_mean / 1e6:.1f} MB")
    print()
    # Recall and false positives at three limits: any significant upward slope (limit 0),
    # a limit of half a percent of the footprint, and the default 128 KB.
    half_pct = 0.005 * base_mean
    print(f"limit of half a percent of the footprint: {half_pct / 1e3:.0f} KB")
    print(f"{'leak/visit':>11} {'% of fp':>8} {'@0':>6} {'@0.5%':>6} {'@128KB':>7} {'plain rule':>11} {'median est/true':>16}")
    for frac in (float(x) for x in a.fractions.split(",")):
        size = int(base_mean * frac)
        runs = [one_run("Timer Detail", "--size", f"timer={size}") for _ in range(a.runs)]
        any_slope = sum(detects(r, 0) for r in runs) / len(runs)
        at_half = sum(detects(r, half_pct) for r in runs) / len(runs)
        at_default = sum(r.leak_found for r in runs) / len(runs)
        plain = sum(plain_rule(r.values, base_mean) for r in runs) / len(runs)
        est = statistics.median(r.per_iteration / size for r in runs if r.per_iteration is not None)
        print(f"{size / 1e3:9.0f}KB {frac * 100:7.2f}% {any_slope:6.0%} {at_half:6.0%} {at_default:7.0%} {plain:11.0%} {est:16.2f}")
    print()
    print(f"{'screen':>8} {'runs':>5} {'false pos. @0':>14} {'@0.5%':>6} {'@128KB':>7} {'plain rule':>11} {'max |slope|':>12}")
    for screen in ("Clean", "Burst"):
        runs = [one_run(screen) for _ in range(a.clean_runs)]
        screen_base = statistics.fmean(v for r in runs[:5] for v in r.values)
        fp = sum(detects(r, 0) for r in runs)
        fp_half = sum(detects(r, half_pct) for r in runs)
        at_default = sum(r.leak_found for r in runs)
        plain = sum(plain_rule(r.values, screen_base) for r in runs)
        worst = max(abs(r.per_iteration or 0) for r in runs)
        print(f"{screen:>8} {len(runs):5d} {fp:14d} {fp_half:6d} {at_default:7d} {plain:11d} {worst / 1e3:10.1f}KB")
    print(f"\n(total {time.monotonic() - t0:.0f} s)")


if __name__ == "__main__":
    main()
