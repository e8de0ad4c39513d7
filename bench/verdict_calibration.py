"""Realised error rates and costs of the sequential verdicts on simulated series (issue 19's table).

Runs the WHOLE procedure — the planned looks, then one per added step while undecided, up to the
bound — exactly as ``IosMem.iterations()`` and the A/B protocol do, on the seeded generators of
tests/calibration.py (Gaussian and t(2) noise, lumpy growth, one purge, one rise, ABBA drift).

    python bench/verdict_calibration.py [--runs 2000] [--engine /path/to/checkout]

``--engine`` imports ``pytest_iosmem`` from another checkout (e.g. main before issue 19) to print
the "before" column; an engine without per-look levels is driven the same way, each look at alpha.
Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import random
import sys
import time
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000, help="seeded series per row")
    ap.add_argument("--engine", help="checkout whose pytest_iosmem to measure (default: this one)")
    args = ap.parse_args()
    sys.path.insert(0, args.engine or str(HERE.parent))
    spec = importlib.util.spec_from_file_location("calibration", HERE.parent / "tests" / "calibration.py")
    cal = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cal)  # type: ignore[union-attr]
    from pytest_iosmem.verdict.leak import judge_leak
    from pytest_iosmem.verdict.paired import judge_shift

    sequential_leak = "bound" in inspect.signature(judge_leak).parameters
    sequential_ab = "max_steps" in inspect.signature(judge_shift).parameters

    def leak(ys, planned=6, bound=20):
        for n in range(planned, bound + 1):
            extra = (bound,) if sequential_leak else ()
            d = judge_leak(range(n), ys[:n], cal.LIMIT, 0.05, planned, *extra)
            if d.decided:
                return d
        return d.at_bound()

    def ab(diffs, limit, planned=6, bound=20):
        for n in range(planned, bound + 1):
            extra = {"max_steps": bound} if sequential_ab else {}
            d = judge_shift("ab-end", diffs[:n], limit, planned, 0.95, **extra)
            if d.decided:
                return d
        return d.at_bound()

    runs = args.runs
    L = cal.LIMIT
    print(f"engine: {Path(sys.modules['pytest_iosmem'].__file__).parent}  runs per row: {runs}")
    print("| case | target | finding | clear | inconclusive | steps (median) | other |")
    print("|---|---|---:|---:|---:|---:|---|")

    def row(case, target, decisions, other=""):
        k = len(decisions)
        share = lambda o: f"{100 * sum(d.outcome == o for d in decisions) / k:.1f}%"  # noqa: E731
        steps = median(d.steps for d in decisions)
        print(f"| {case} | {target} | {share('finding')} | {share('clear')} | {share('inconclusive')} | {steps:g} | {other} |")

    def series(gen, seed, n=runs):
        return [gen(random.Random(seed * 1_000_003 + i)) for i in range(n)]

    t0 = time.time()
    row("slope = limit, Gaussian (sd = limit)", "each <= 5%", [leak(ys) for ys in series(cal.gaussian(L, L), 101)])
    row("slope = limit, t(2) x limit", "each <= 5%", [leak(ys) for ys in series(cal.heavy(L, L), 102)])
    row("clean, t(2) x 2 MB on 30 MB", "finding <= 1%", [leak(ys) for ys in series(cal.heavy(0, 2 * cal.MB), 103)])
    row("leak 2x limit, t(2) x 2 MB", "clear <= 1%", [leak(ys) for ys in series(cal.heavy(2 * L, 2 * cal.MB), 104)])
    lumpy = series(cal.lumpy(), 105)
    decisions = [leak(ys) for ys in lumpy]
    ratios = [d.estimate / ((ys[d.steps - 1] - ys[0]) / (d.steps - 1)) for d, ys in zip(decisions, lumpy)]
    within = sum(0.75 <= r <= 1.25 for r in ratios) / len(ratios)
    row("lumpy leak (0.5-1.5 MB every 2-5 iterations, ~285 KB/it)", "found >= 95%; estimate +-25%", decisions,
        f"estimate/truth median {median(ratios):.2f}, {100 * within:.0f}% within +-25%")
    row("linear 2x leak, one purge of 2-10 MB at any reading", "found >= 95%",
        [leak(ys) for ys in series(cal.purge(2 * L), 106)])
    row("linear 2x leak, one 5 MB purge at any reading, noise 128 KB", "found >= 95%",
        [leak(ys) for ys in series(cal.purge(2 * L, sd=L, size=5 * cal.MB), 112)])
    decisions = [leak(ys) for ys in series(cal.rise(at=5, size=2.5 * cal.MB), 113)]
    row("flat app, 2.5 MB rise at the 6th reading", "clear, few added", decisions,
        f"added: median {median(d.added for d in decisions):g}")
    decisions = [leak(ys) for ys in series(cal.rise(), 107)]
    row("flat app, one rise of up to 20x limit at any reading", "clear >= 95%, median added <= 4", decisions,
        f"added: median {median(d.added for d in decisions):g}")
    limit = 100_000
    row("A/B shift = limit, ABBA, drift 5 KB/trial, sd 60 KB", "each <= 2.5%",
        [ab(d, limit) for d in series(cal.ab_drift(limit, 60_000, 5_000), 108)])
    row("A/B shift = 2x limit (same noise)", "found >= 95%",
        [ab(d, limit) for d in series(cal.ab_drift(2 * limit, 60_000, 5_000), 109)])
    row("clean app, Gaussian 16 KB", "median steps <= 6", [leak(ys) for ys in series(cal.gaussian(0, 16_000), 110)])
    row("leak 2x limit, Gaussian 16 KB", "median steps <= 6",
        [leak(ys) for ys in series(cal.gaussian(2 * L, 16_000), 111)])
    print(f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
