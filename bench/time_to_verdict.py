"""Time spent waiting for the footprint to settle: adaptive settling against a fixed sleep.

Per iteration of the gated scenario on the reference app (visit "Timer
Detail", which leaks), the wall time spent waiting before the footprint is
read, and the leak recall over the same number of runs, for adaptive
settling (the plugin's default) and for fixed sleeps of 0.25, 0.5 and 1 s.

    python bench/time_to_verdict.py [--runs 10] [--leak 256KB]
"""

from __future__ import annotations

import argparse
import statistics

from _harness import RefApp, gated_run

from pytest_iosmem.units import parse_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--leak", default="256KB")
    a = ap.parse_args()
    size = parse_size(a.leak)
    print(f"{'waiting':>16} {'s/iteration':>12} {'recall':>7} {'median est/true':>16}")
    for label, fixed in (("adaptive", None), ("fixed 0.25 s", 0.25), ("fixed 0.5 s", 0.5), ("fixed 1.0 s", 1.0)):
        runs = []
        for _ in range(a.runs):
            ref = RefApp("--size", f"timer={size}")
            try:
                runs.append(gated_run(ref, "Timer Detail", fixed_sleep=fixed))
            finally:
                ref.close()
        per_it = statistics.median(r.settle_seconds / 8 for r in runs)
        recall = sum(r.leak_found for r in runs) / len(runs)
        est = statistics.median(r.per_iteration / size for r in runs if r.per_iteration is not None)
        print(f"{label:>16} {per_it:12.3f} {recall:7.0%} {est:16.2f}")


if __name__ == "__main__":
    main()
