"""Waiting for the footprint to settle, instead of sleeping a fixed time.

After a UI action the app's footprint moves for a while (autorelease pools
drain, caches fill, transient buffers are freed).  ``wait_settled`` reads
until the last ``window`` readings agree within a tolerance, and gives up
after ``max_wait`` seconds, reporting that it did not settle.  On a quiet app
that is about ``window × interval`` (≈0.2 s by default) rather than the
second or two a fixed sleep would have to assume for the worst case.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

__all__ = ["SettleConfig", "SettleResult", "wait_settled"]


@dataclass(frozen=True)
class SettleConfig:
    interval: float = 0.04
    window: int = 5
    tolerance_bytes: int = 96 * 1024
    tolerance_fraction: float = 0.002
    max_wait: float = 3.0
    min_wait: float = 0.0

    def tolerance(self, value: float) -> float:
        return max(self.tolerance_bytes, self.tolerance_fraction * value)


@dataclass(frozen=True)
class SettleResult:
    footprint: int | None
    settled: bool
    seconds: float
    reads: int


def _median(values: list[int]) -> float:
    # Not statistics.median: importing statistics costs ~8 ms in every pytest run.
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def wait_settled(
    read: Callable[[], int | None],
    config: SettleConfig = SettleConfig(),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    stop: Callable[[], bool] | None = None,
) -> SettleResult:
    """Read until ``config.window`` consecutive readings stay within tolerance.

    ``read`` returns a footprint, or None when a read failed (skipped).  The
    settled value is the median of the last window.  ``stop()`` true (the app
    is known dead) ends the wait at once, not settled, with what was read.
    """
    start = clock()
    window: list[int] = []
    reads = 0
    while True:
        value = read()
        reads += 1
        if value is not None:
            window.append(value)
            window = window[-config.window :]
        elapsed = clock() - start
        if stop is not None and stop():
            return SettleResult(int(_median(window)) if window else None, False, elapsed, reads)
        if len(window) == config.window and elapsed >= config.min_wait:
            mid = _median(window)
            if max(window) - min(window) <= config.tolerance(mid):
                return SettleResult(int(mid), True, elapsed, reads)
        if elapsed >= config.max_wait:
            return SettleResult(int(_median(window)) if window else None, False, elapsed, reads)
        sleep(config.interval)
