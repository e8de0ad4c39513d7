"""A tiny app for the core tests: it changes its own memory on signals.

It stands in for "an app the UI test drives" where the UI is one signal:
SIGUSR2 = one visit of a screen (which may leak), SIGUSR1 = memory warning
(frees the cache).  Memory is mmap'd and every page written, so it is real,
resident, dirty memory that the footprint counts.

    python memapp.py [--leak BYTES] [--noise BYTES] [--cache BYTES] [--seed N]
                     [--crash-after N] [--exit-after N] [--grow-to BYTES]
"""

import argparse
import mmap
import os
import random
import signal
import sys
import time

PAGE = 4096


def touched(n):
    # Private anonymous memory, every page written: resident, dirty, counted as footprint.
    flags = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)
    buf = mmap.mmap(-1, max(PAGE, n), flags=flags) if flags else mmap.mmap(-1, max(PAGE, n))
    for off in range(0, len(buf), PAGE):
        buf[off] = 1
    return buf


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--leak", type=int, default=0)
    p.add_argument("--noise", type=int, default=0)
    p.add_argument("--cache", type=int, default=0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--crash-after", type=int, default=0)
    p.add_argument("--exit-after", type=int, default=0)
    p.add_argument("--grow-per-visit", type=int, default=0, help="visit allocates this and keeps it (with --leak)")
    p.add_argument("--base", type=int, default=0, help="bytes held from start")
    a = p.parse_args()
    rng = random.Random(a.seed)
    held = [touched(a.base)] if a.base else []
    cache = [touched(a.cache)] if a.cache else []
    visits = [0]
    noise = []

    def visit(signum, frame):
        visits[0] += 1
        if a.leak:
            held.append(touched(a.leak))
        if a.noise:
            # Noise: the amount kept around changes up and down, never growing on average.
            noise.clear()
            noise.append(touched(rng.randrange(PAGE, a.noise)))
        if a.crash_after and visits[0] >= a.crash_after:
            os.kill(os.getpid(), signal.SIGSEGV)
        if a.exit_after and visits[0] >= a.exit_after:
            os._exit(3)

    def warning(signum, frame):
        cache.clear()

    signal.signal(signal.SIGUSR2, visit)
    signal.signal(signal.SIGUSR1, warning)
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(0))
    print("memapp ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
