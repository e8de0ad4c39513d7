"""What recording allocation stacks costs on the reference app, beside attribution off and class histograms only.

    cd bench && python stacks_cost.py --runs 5

Each run is a fresh reference app, 2 warm-up and 6 measured visits of a
screen, measured by the plugin's own parts (LocalTarget, IosMem, analysis,
the stack diff) exactly as a gated test is; the three modes alternate run by
run so the machine's drift hits them alike:

- ``off``:   ``--iosmem-attribution=off`` (nothing read);
- ``auto``:  class histograms only (the local target's default);
- ``stacks``: ``--iosmem-attribution=on``: the app runs tracemalloc (24
  frames) and the stacks are read at the first and last measured iteration.

Printed per screen and mode (medians): the settled footprint at the first
and the last measured iteration, the leak slope the gate judges, seconds per
iteration (visit + settle + the reads), seconds spent in the stack reads,
tracemalloc's own memory and its growth per iteration, and for leaky
screens whether the top grown stack named the site within ±25%.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _harness import RefApp

from pytest_iosmem.verdict.checks import analyse
from pytest_iosmem.measure import IosMem
from pytest_iosmem.verdict.policy import Policy
from pytest_iosmem.attribution.stacks import grown_stacks
from pytest_iosmem.targets.base import AppSpec
from pytest_iosmem.targets.local import REFAPP_COMMAND, STACK_FRAMES, LocalTarget
from pytest_iosmem.wda_glue import connect

LEAK = 512 * 1024
MODES = ("off", "auto", "stacks")


class App(RefApp):
    def __init__(self, mode: str) -> None:  # noqa: D107 - RefApp with the mode's target
        self.target = LocalTarget(stack_frames=STACK_FRAMES if mode == "stacks" else 0)
        self.app = self.target.launch(AppSpec(command=[*REFAPP_COMMAND, "--leak-size", str(LEAK)]))
        self.session = connect(self.target.wda_url(self.app, timeout=20), 20).session()


def one_run(mode: str, screen: str) -> dict:
    ref = App(mode)
    try:
        mem = IosMem(ref.target, ref.app, Policy(), interval=0.04, iterations=6, warmup=2,
                     attribution=mode != "off")
        read_seconds = 0.0
        original = ref.target.allocation_stacks

        def timed(app):
            nonlocal read_seconds
            t = time.monotonic()
            try:
                return original(app)
            finally:
                read_seconds += time.monotonic() - t

        ref.target.allocation_stacks = timed
        start = time.monotonic()
        try:
            for _ in mem.iterations():
                ref.visit(screen)
        finally:
            wall = time.monotonic() - start
            mem.finish()
        verdict = analyse(mem.timeline, Policy())
        its = [i.footprint for i in mem.timeline.iterations if not i.warmup]
        out = {"first": its[0], "last": its[-1], "slope": verdict.metrics.leak.per_iteration,
               "s_per_iter": wall / 8, "read_s": read_seconds}
        first, last = mem.generations.get("first"), mem.generations.get("last")
        if first and last:
            rows = grown_stacks(first, last, 5)
            out["overhead"] = last.overhead
            out["overhead_per_iter"] = (last.overhead - first.overhead) / 5
            out["top"] = rows[0].site if rows else None
            out["top_ok"] = bool(rows) and abs(rows[0].bytes_per_iteration - LEAK) <= 0.25 * LEAK
            out["grown"] = len(rows)
        return out
    finally:
        ref.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--screens", default="Clean,Timer Detail")
    args = p.parse_args()
    for screen in args.screens.split(","):
        results: dict[str, list[dict]] = {m: [] for m in MODES}
        for _ in range(args.runs):
            for mode in MODES:
                results[mode].append(one_run(mode, screen))
        print(f"\n{screen} ({args.runs} runs per mode, medians)")
        print("| mode | footprint, first measured | last measured | leak slope/iter | s/iteration | "
              "s in stack reads (2 reads) | tracemalloc memory | its growth/iter | grown stacks | top stack within ±25% |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        base = statistics.median(r["first"] for r in results["off"])
        for mode in MODES:
            rs = results[mode]

            def med(key: str, rows=rs) -> float:
                return statistics.median(r[key] for r in rows)

            first = med("first")
            extra = f"{first / 1e6:.2f} MB ({(first - base) / 1e6:+.2f})"
            stacks = mode == "stacks"
            print(f"| {mode} | {extra} | {med('last') / 1e6:.2f} MB | {med('slope') / 1e3:+.1f} KB | "
                  f"{med('s_per_iter'):.3f} | {med('read_s'):.3f} | "
                  + (f"{med('overhead') / 1e3:.0f} KB | {med('overhead_per_iter') / 1e3:+.2f} KB | "
                     f"{max(r['grown'] for r in rs)} (max) | "
                     f"{sum(r['top_ok'] for r in rs)}/{len(rs)} ({rs[0]['top']}) |" if stacks else "- | - | - | - |"))


if __name__ == "__main__":
    main()
