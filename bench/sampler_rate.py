"""How fast and how cheaply the local target samples a process of a few hundred MB.

Prints, for a real process holding ``--size`` of touched memory:
- reads/s and CPU µs per read of the local target (``/proc/PID/status`` via pread),
  beside psutil's ``memory_info()`` (RSS) and ``memory_full_info()`` (USS, what
  "footprint-like" costs through psutil);
- the CPU cost of the Sampler thread at the default interval (40 ms) and at
  1 Hz (what perf tools such as tidevice use), as % of one core.
Goals: at least 500 samples/s possible; the default interval under 1% of one core.

    python bench/sampler_rate.py [--size 300MB] [--seconds 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil  # noqa: E402

from pytest_iosmem.sampler import DEFAULT_INTERVAL, Sampler  # noqa: E402
from pytest_iosmem.targets.base import AppSpec  # noqa: E402
from pytest_iosmem.targets.local import LocalTarget  # noqa: E402
from pytest_iosmem.timeline import Timeline  # noqa: E402
from pytest_iosmem.units import parse_size  # noqa: E402

MEMAPP = Path(__file__).resolve().parents[1] / "tests" / "apps" / "memapp.py"


def rate(fn, seconds: float) -> tuple[float, float]:
    """(calls per second, CPU microseconds per call) of ``fn`` in a tight loop."""
    n = 0
    cpu0, t0 = time.process_time(), time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return n / wall, cpu / n * 1e6


def sampler_cpu(target, app, interval: float, seconds: float) -> tuple[float, int]:
    """% of one core the sampler thread costs at ``interval``, and samples taken."""
    tl = Timeline()
    s = Sampler(target, app, tl, interval)
    cpu0, t0 = time.process_time(), time.perf_counter()
    s.start()
    time.sleep(seconds)
    s.stop()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return cpu / wall * 100, len(tl.samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="300MB")
    ap.add_argument("--seconds", type=float, default=2.0)
    a = ap.parse_args()
    size = parse_size(a.size)
    target = LocalTarget()
    app = target.launch(AppSpec(command=[sys.executable, str(MEMAPP), "--base", str(size)]))
    try:
        deadline = time.monotonic() + 30
        while target.read(app).footprint < size * 0.95 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc = psutil.Process(app.pid)
        fp = target.read(app).footprint
        print(f"process: pid {app.pid}, footprint {fp / 1e6:.0f} MB, {os.cpu_count()} cores")
        ours = rate(lambda: target.read(app), a.seconds)
        rss = rate(proc.memory_info, a.seconds)
        uss = rate(proc.memory_full_info, min(a.seconds, 2.0))
        print(f"{'source':44} {'reads/s':>10} {'CPU µs/read':>12}")
        print(f"{'local target (/proc/PID/status, pread)':44} {ours[0]:10.0f} {ours[1]:12.1f}")
        print(f"{'psutil memory_info() (RSS only)':44} {rss[0]:10.0f} {rss[1]:12.1f}")
        print(f"{'psutil memory_full_info() (USS, smaps)':44} {uss[0]:10.0f} {uss[1]:12.1f}")
        print(f"ratio vs psutil USS: {ours[0] / uss[0]:.0f}x faster; goal >= 500 reads/s: {'met' if ours[0] >= 500 else 'MISSED'}")
        for label, interval in (("default", DEFAULT_INTERVAL), ("1 Hz (perf tools)", 1.0)):
            pct, n = sampler_cpu(target, app, interval, max(a.seconds, 3.0))
            print(f"sampler at {interval * 1000:.0f} ms ({label}): {pct:.2f}% of one core, {n} samples")
    finally:
        target.terminate(app)


if __name__ == "__main__":
    main()
