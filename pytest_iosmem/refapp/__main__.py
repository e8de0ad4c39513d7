"""``python -m pytest_iosmem.refapp``: start the reference app.

Prints one line to stdout once it listens — the line WebDriverAgent prints
in xcodebuild logs, which the local target watches for::

    ServerURLHere->http://127.0.0.1:PORT<-ServerURLHere

SIGUSR1 is a memory warning (passed to the app-wide caches and the live
screens, as UIKit does); SIGTERM/SIGINT stop it.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading

from ..units import UnitError, parse_size
from . import allocations
from .model import SCREEN_KEYS, App, Config
from .server import make_server


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except UnitError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _screen_size(text: str) -> tuple[str, int]:
    key, sep, value = text.partition("=")
    if not sep or key not in SCREEN_KEYS.values():
        raise argparse.ArgumentTypeError(
            f"{text!r}: write SCREEN=SIZE with SCREEN one of {', '.join(SCREEN_KEYS.values())}"
        )
    return key, _size(value)


def _range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r}: write MIN-MAX, e.g. 1MB-2MB")
    lo, hi = _size(low), _size(high)
    if lo > hi:
        raise argparse.ArgumentTypeError(f"{text!r}: MIN is above MAX")
    return lo, hi


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m pytest_iosmem.refapp",
        description="The pytest-iosmem reference app: a WebDriverAgent-speaking process with real, deliberate leaks.",
        epilog="example: python -m pytest_iosmem.refapp --port 8100 --leak-size 1MB --size map=256KB",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one and prints it (default 0)")
    p.add_argument("--leak-size", type=_size, default=512 * 1024, help="bytes each leaky screen retains per visit (default 512KiB)")
    p.add_argument("--size", type=_screen_size, action="append", default=[], metavar="SCREEN=SIZE",
                   help="size for one screen: " + ", ".join(SCREEN_KEYS.values()) + " (repeatable)")
    p.add_argument("--noise", type=_size, default=64 * 1024, help="most transient allocator noise per visit (default 64KiB)")
    p.add_argument("--burst-hold", type=float, default=0.3, help="seconds the Burst screen holds its allocations (default 0.3)")
    p.add_argument("--churn", type=_range, default=None, metavar="MIN-MAX",
                   help="show the Feed screen, whose visits load a random MIN-MAX (e.g. 1MB-2MB) that the "
                        "malloc zone keeps: a high-water mark, not a leak")
    p.add_argument("--ballast", type=_size, default=0,
                   help="memory the app holds from launch, to set its footprint's size (default 0)")
    p.add_argument("--seed", type=int, default=None, help="seed of the noise (default: random)")
    p.add_argument("--regress", type=_size, default=0, metavar="SIZE",
                   help="run as a regressed build: an app-wide cache SIZE larger, held for the app's life "
                        "(the head of an A/B demonstration; default 0, the unchanged build)")
    p.add_argument("--bundle-id", default="com.example.refapp", help="the app's bundle id (default com.example.refapp)")
    p.add_argument("--allocation-stacks", type=int, default=None, metavar="FRAMES",
                   help=f"record allocation stacks with tracemalloc, FRAMES frames each, served at /iosmem/stacks "
                        f"(default: ${allocations.ENV}, else off)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # iOS apps run under ARC, which has no cycle collector: a retain cycle is never freed.
    # The reference app runs the same way, so its Retain Cycle screen leaks as on iOS.
    gc.disable()
    try:  # before the app makes anything, as MallocStackLogging must be set before an iOS app starts
        allocations.start_from_env(None if args.allocation_stacks is None else str(args.allocation_stacks))
    except ValueError as exc:
        print(f"refapp: {exc}", file=sys.stderr)
        return 2
    config = Config(
        leak_size=args.leak_size,
        sizes=dict(args.size),
        noise=args.noise,
        burst_hold=args.burst_hold,
        seed=args.seed,
        bundle_id=args.bundle_id,
        churn=args.churn,
        ballast=args.ballast,
        regress=args.regress,
    )
    if "burst" in config.sizes:
        config.burst_size = config.sizes.pop("burst")
    app = App(config)
    try:
        server = make_server(app, args.host, args.port)
    except OSError as exc:
        print(f"refapp: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_warning(signum: int, frame: object) -> None:
        # didReceiveMemoryWarning arrives on the main thread, after the command being served
        with app.lock:
            app.memory_warning()

    signal.signal(signal.SIGUSR1, on_warning)
    signal.signal(signal.SIGTERM, lambda s, f: stop.set())
    signal.signal(signal.SIGINT, lambda s, f: stop.set())

    def run_loop() -> None:
        while not stop.wait(1.0):  # fires repeating timers once a second, like NSRunLoop
            with app.lock:
                app.run_loop.fire_due()

    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="wda-http", daemon=True).start()
    threading.Thread(target=run_loop, name="run-loop", daemon=True).start()
    print(f"ServerURLHere->{server.url}<-ServerURLHere", flush=True)
    print(f"refapp: {config.bundle_id} pid {os.getpid()} serving WebDriverAgent at {server.url}", file=sys.stderr, flush=True)
    # The main thread only waits, so signal handlers (which Python runs here) run promptly.
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
