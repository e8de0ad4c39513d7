"""Shared harness of the detection benchmarks: one gated scenario on the reference app.

It uses the plugin's own parts (LocalTarget, IosMem, analysis) and
facebook-wda's real client, exactly as a gated test does, without pytest
around it so hundreds of runs fit in minutes.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_iosmem.verdict.checks import analyse  # noqa: E402
from pytest_iosmem.measure import IosMem  # noqa: E402
from pytest_iosmem.verdict.policy import Policy  # noqa: E402
from pytest_iosmem.settle import SettleConfig  # noqa: E402
from pytest_iosmem.targets.base import AppSpec  # noqa: E402
from pytest_iosmem.targets.local import REFAPP_COMMAND, LocalTarget  # noqa: E402
from pytest_iosmem.wda_glue import connect  # noqa: E402


@dataclass
class Run:
    values: list[int]  # settled footprint at the end of each measured iteration
    leak_found: bool  # a finding under the policy given (default limit 128 KB)
    per_iteration: float | None
    p_value: float | None
    settle_seconds: float  # total time spent waiting for the footprint to settle
    wall: float
    outcome: str | None = None  # the leak decision: finding, clear or inconclusive (None: check off)
    steps: int = 0  # measured iterations the leak decision used (planned + added)


class RefApp:
    """One reference app process with a facebook-wda session on it."""

    def __init__(self, *args: str) -> None:
        self.target = LocalTarget()
        self.app = self.target.launch(AppSpec(command=[*REFAPP_COMMAND, *args]))
        url = self.target.wda_url(self.app, timeout=20)
        self.session = connect(url, 20).session()

    def visit(self, screen: str) -> None:
        self.session(label=screen).click()
        self.session(label="Back").click()

    def close(self) -> None:
        self.target.terminate(self.app)


def gated_run(
    ref: RefApp,
    screen: str,
    iterations: int = 6,
    warmup: int = 2,
    policy: Policy = Policy(),
    settle: SettleConfig = SettleConfig(),
    fixed_sleep: float | None = None,
) -> Run:
    """``iterations`` measured visits after ``warmup``; settles adaptively, or sleeps ``fixed_sleep``."""
    start = time.monotonic()
    if fixed_sleep is not None:
        # A fixed sleep: read once after sleeping, as a plain harness would.
        settle = SettleConfig(interval=fixed_sleep, window=1, max_wait=0.0)
    mem = IosMem(ref.target, ref.app, policy, interval=0.04, settle=settle, iterations=iterations, warmup=warmup)
    try:
        for _ in mem.iterations():
            ref.visit(screen)
            if fixed_sleep is not None:
                time.sleep(fixed_sleep)
    finally:
        mem.finish()
    verdict = analyse(mem.timeline, policy)
    its = [i for i in mem.timeline.iterations if not i.warmup]
    decision = verdict.decisions[0] if verdict.decisions else None
    return Run(
        values=[i.footprint for i in its],
        leak_found=any(f.kind == "leak" for f in verdict.findings),
        per_iteration=verdict.metrics.leak.per_iteration if verdict.metrics.leak else None,
        p_value=verdict.metrics.leak.p_value if verdict.metrics.leak else None,
        settle_seconds=sum(i.settle_seconds for i in mem.timeline.iterations) + (
            fixed_sleep * (iterations + warmup) if fixed_sleep else 0.0
        ),
        wall=time.monotonic() - start,
        outcome=decision.outcome if decision else None,
        steps=decision.steps if decision else len(its),
    )


def detects(run: Run, limit: float, alpha: float = 0.05) -> bool:
    """The first version's rule with a given limit: slope above it and a significant upward trend (vs 0)."""
    return run.per_iteration is not None and run.per_iteration > limit and run.p_value < alpha


def plain_rule(values: list[int], baseline_mean: float, threshold: float = 0.10) -> bool:
    """The XCTest-style rule: average of the last 5 iterations above the baseline by 10%."""
    return statistics.fmean(values[-5:]) > baseline_mean * (1 + threshold)
