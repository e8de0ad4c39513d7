"""The creep gate's false-alarm rate and detection on the project's own noise.

1. The noise: ``--measure`` fresh reference-app processes (the way each main-branch run launches
   the app), each driven through a few visits of the Clean screen by facebook-wda and measured by
   the plugin's ``IosMem`` loop; the end footprint of each is one run's value.  Their relative
   deviations from the median are the noise the histories below are drawn from (resampled, seeded).
2. ``--histories`` seeded histories of ``--runs`` main-branch runs each, judged run by run exactly
   as the plugin does (``judge_creep``: the history so far, this run's value, since the oldest run,
   ``--limit``):
   - no growth: a creep failure at any run is a false alarm; a change point in the whole series is
     a false change point (the steps the failure message would name);
   - growth of ``--step`` every third run: the run where the gate first fails (the total crosses
     the limit at run 18 for 0.9% and 5%) and whether the steps it names are the injected ones.
   The same at the noise scaled ×3 and ×10: a stand-in for a noisier target (simulator, device),
   said as such.

    cd bench && python history_creep.py [--measure 30] [--histories 200] [--runs 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _harness import RefApp, gated_run

from pytest_iosmem.history.creep import change_points, judge_creep, parse_since
from pytest_iosmem.history.store import SeriesPoint


def measure_noise(n: int) -> tuple[list[float], float]:
    ends = []
    for _ in range(n):
        ref = RefApp()
        try:
            ends.append(gated_run(ref, "Clean", iterations=2, warmup=1).values[-1])
        finally:
            ref.close()
    mid = statistics.median(ends)
    return [(e - mid) / mid for e in ends], mid


def history(rng: random.Random, noise: list[float], scale: float, runs: int, base: float, step: float) -> list[float]:
    return [base * (1 + step) ** (i // 3) * (1 + scale * rng.choice(noise)) for i in range(1, runs + 1)]


def judge_series(values: list[float], limit: float) -> tuple[int | None, list[int | None]]:
    """(the first failing run, 1-based, or None; the run ids of the steps named there)."""
    points = [SeriesPoint(i, f"2026-11-{i:02d}", f"c{i}", "main", None, "passed", v) for i, v in enumerate(values, 1)]
    for k in range(1, len(values)):
        creep = judge_creep(points[:k], values[k], parse_since("start"), limit, noise_floor=0.0)
        if creep.failed:
            return k + 1, [s.run_id if s.run_id is not None else k + 1 for s in creep.steps]
    return None, []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--measure", type=int, default=30)
    ap.add_argument("--histories", type=int, default=200)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--step", type=float, default=0.009)
    ap.add_argument("--limit", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    t0 = time.monotonic()
    noise, base = measure_noise(args.measure)
    sd = statistics.pstdev(noise)
    print(f"noise: {args.measure} reference-app runs, end footprint median {base / 1e6:.2f} MB, "
          f"relative sd {sd:.4%}, range {min(noise):+.4%} .. {max(noise):+.4%} ({time.monotonic() - t0:.0f}s)")
    expected_first = next(k for k in range(1, args.runs + 1) if (1 + args.step) ** (k // 3) - 1 > args.limit)
    injected = [k for k in range(3, expected_first + 1, 3)]
    for scale in (1.0, 3.0, 10.0):
        rng = random.Random(args.seed)
        false_fail = false_cp = 0
        firsts: list[int | None] = []
        named_right = 0
        t1 = time.monotonic()
        for _ in range(args.histories):
            flat = history(rng, noise, scale, args.runs, base, 0.0)
            fail, _ = judge_series(flat, args.limit)
            false_fail += fail is not None
            false_cp += bool(change_points(flat))
            grown = history(rng, noise, scale, args.runs, base, args.step)
            first, steps = judge_series(grown, args.limit)
            firsts.append(first)
            named_right += steps == injected
        caught = [f for f in firsts if f is not None]
        print(f"noise x{scale:g} (sd {sd * scale:.3%}): no growth: {false_fail}/{args.histories} creep failures, "
              f"{false_cp}/{args.histories} series with a change point; growth {args.step:.1%} every 3rd run: "
              f"failed {len(caught)}/{args.histories}, first failing run median {statistics.median(caught) if caught else '-'}"
              f" (expected {expected_first}; range {min(caught) if caught else '-'}..{max(caught) if caught else '-'}), "
              f"steps named exactly {named_right}/{args.histories} ({time.monotonic() - t1:.1f}s)")


if __name__ == "__main__":
    main()
