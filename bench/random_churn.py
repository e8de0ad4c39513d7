"""Random churn: transient loads of random size that the allocator keeps, with and without a real leak.

The reference app's Feed screen loads a random amount (``--churn MIN-MAX``,
default 1–2 MB) per visit from a malloc zone that keeps its pages, so the
footprint rises like a running maximum — monotonic, not a leak: the shape
that made the first version's fixed 6-iteration test report false leaks.
``--size feed=SIZE`` adds a real leak of SIZE per visit under it, and
``--ballast`` sets the footprint's size.

Each run is a fresh reference-app process driven through its WebDriverAgent
endpoints by facebook-wda, measured by the plugin's own ``IosMem`` loop
(2 warm-ups, 6 planned, sequential up to the bound) and judged by
``analyse`` — the code a gated test runs, without pytest around it.  Beside
the sequential verdict, on the very same runs, today's fixed rule: the first
6 measured readings (8 iterations with warm-up), Theil–Sen slope above the
limit and Mann–Kendall p < 0.05.

    cd bench && python random_churn.py [--runs 100] [--leak-runs 20] [--ballasts 0,15MB,45MB]
                                       [--churn 1MB-2MB] [--scaled-runs 0]

``--runs 0`` skips the clean runs (e.g. leaks only, under a heavier ``--churn``).
"""

from __future__ import annotations

import argparse
import statistics
import time

from _harness import RefApp, gated_run

from pytest_iosmem.verdict.policy import Policy
from pytest_iosmem.verdict.stats import mann_kendall, theil_sen
from pytest_iosmem.units import parse_size

LIMIT = Policy().leak_per_iteration


def old_rule(values: list[int], limit: float) -> bool:
    """The first version: fixed 6 measured iterations, Theil–Sen slope > limit and Mann–Kendall p < 0.05."""
    first = values[:6]
    return len(first) >= 4 and theil_sen(first)[0] > limit and mann_kendall(first).p_increasing < 0.05


def runs(n: int, app_args: list[str], policy: Policy) -> list:
    out = []
    for _ in range(n):
        ref = RefApp(*app_args)
        try:
            out.append(gated_run(ref, "Feed", policy=policy))
        finally:
            ref.close()
    return out


def pct(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def steps_text(rs) -> str:
    steps = [r.steps for r in rs]
    return f"{statistics.median(steps):g} / {pct(steps, 0.9)} / {max(steps)}"


def row(label: str, rs, truth: float | None, limit: float) -> str:
    n = len(rs)
    found = sum(r.outcome == "finding" for r in rs)
    inc = sum(r.outcome == "inconclusive" for r in rs)
    old = sum(old_rule(r.values, limit) for r in rs)
    if truth:
        ratios = [r.per_iteration / truth for r in rs if r.outcome == "finding"]
        within = sum(abs(x - 1) <= 0.25 for x in ratios)
        est = f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}), {within}/{len(ratios)} in ±25%" if ratios else "-"
    else:
        est = "-"
    return f"| {label} | {n} | {found} | {inc} | {n - found - inc} | {old} | {steps_text(rs)} | {est} |"


HEAD = (
    "| scenario | runs | leak found | inconclusive | clear | fixed-8 rule found | iterations used (median / p90 / max) "
    "| estimate / truth (median, range, within ±25%) |\n|---|---:|---:|---:|---:|---:|---|---|"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100, help="clean runs per footprint size")
    ap.add_argument("--leak-runs", type=int, default=20, help="runs per leak size and footprint size")
    ap.add_argument("--ballasts", default="0,15MB,45MB", help="memory held from launch: one footprint size each")
    ap.add_argument("--churn", default="1MB-2MB", help="random transient load per visit")
    ap.add_argument("--borderline", type=parse_size, default=LIMIT,
                    help="leak per visit of the borderline row (default: the limit, 128 KB; the app adds a few KB "
                         "per visit of its own and pages round up, so 120KB is closer to the limit in truth)")
    ap.add_argument("--scaled-runs", type=int, default=0,
                    help="also: clean runs whose churn is 1/6-1/3 of the footprint (a harder case), per size")
    a = ap.parse_args()
    t0 = time.monotonic()
    default = Policy()
    print(f"defaults: {default.describe()}, alpha {default.trend_alpha:g}, 2 warm-ups + 6 planned, "
          f"bound {default.max_iterations}, churn {a.churn} per visit\n")
    for ballast_text in a.ballasts.split(","):
        ballast = parse_size(ballast_text)
        base = ["--ballast", str(ballast), "--churn", a.churn]
        probe = runs(3, [*base, "--size", "feed=0"], default)
        footprint = statistics.fmean(v for r in probe for v in r.values)
        one_pct = int(footprint * 0.01)
        half_pct = Policy(leak_per_iteration=int(footprint * 0.005))
        print(f"### footprint {footprint / 1e6:.1f} MB (ballast {ballast_text}); 1% = {one_pct / 1e3:.0f} KB\n")
        print(HEAD)
        if a.runs:
            print(row("clean, churn " + a.churn, runs(a.runs, [*base, "--size", "feed=0"], default), None, LIMIT))
        if a.scaled_runs:
            lo, hi = int(footprint / 6), int(footprint / 3)
            scaled = ["--ballast", str(ballast), "--churn", f"{lo}-{hi}", "--size", "feed=0"]
            print(row(f"clean, churn {lo / 1e6:.1f}-{hi / 1e6:.1f} MB (1/6-1/3)", runs(a.scaled_runs, scaled, default), None, LIMIT))
        for label, size, policy, limit in (
            (f"leak 1% ({one_pct / 1e3:.0f} KB), limit 128 KB", one_pct, default, LIMIT),
            (f"leak 1% ({one_pct / 1e3:.0f} KB), limit 0.5% ({half_pct.leak_per_iteration / 1e3:.0f} KB)", one_pct, half_pct,
             half_pct.leak_per_iteration),
            ("leak 2x limit (256 KB)", 2 * LIMIT, default, LIMIT),
            # the app adds a few KB per visit of its own and pages round up: a little over the limit
            (f"borderline: leak {a.borderline / 1e3:.0f} KB, limit 128 KB", a.borderline, default, LIMIT),
        ):
            print(row(label, runs(a.leak_runs, [*base, "--size", f"feed={size}"], policy), size, limit))
        print()
    print(f"(total {time.monotonic() - t0:.0f} s; the fixed-8 rule reads the first 6 measured readings of the same runs)")


if __name__ == "__main__":
    main()
