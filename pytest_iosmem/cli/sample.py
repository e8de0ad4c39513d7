"""``iosmem sample``: live footprint of a running app, with a running peak.

Like the perf tools iOS teams use (tidevice perf, Xcode's memory gauge), for
exploring an app before writing a gate.  Stops after ``--duration`` seconds,
when the app dies, or on Ctrl-C; the CSV (t, footprint, peak) is written at
the end in every case, atomically.
"""

from __future__ import annotations

import csv
import io
import shlex
import time

from . import CliError


def register(sub, formatter) -> None:
    p = sub.add_parser("sample", help="live footprint of a running app, with a running peak",
                       description=__doc__, formatter_class=formatter,
                       epilog="examples:\n  iosmem sample --pid 4242 --duration 30 --csv app.csv\n"
                              "  iosmem sample --command 'python -m pytest_iosmem.refapp' --duration 5\n"
                              "  iosmem sample --target simulator --bundle com.example.app")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--pid", type=int, help="a running process (local target) or app pid")
    who.add_argument("--bundle", help="bundle id of a running app (simulator/device targets)")
    who.add_argument("--command", help="launch this command on the local target and sample it")
    p.add_argument("--target", default="local", choices=("local", "simulator", "device"), help="default: local")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between samples (default 0.5)")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds (default: until Ctrl-C)")
    p.add_argument("--csv", help="write t,footprint,peak rows to this file at the end")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    p.set_defaults(handler=run)


def _target(kind: str):
    from ..targets import TargetContext, create_target

    return create_target(kind, TargetContext(option=lambda name: None))


def run(args) -> int:
    from ..atomic import write_atomic
    from ..errors import ReadFailed
    from ..targets.base import AppSpec
    from ..units import format_size

    if args.interval <= 0:
        raise CliError(f"--interval={args.interval}: must be positive")
    target = _target(args.target)
    if args.pid is not None:
        app = target.attach(args.pid)
    elif args.command:
        app = target.launch(AppSpec(command=shlex.split(args.command)))
    else:
        if args.target == "local":
            raise CliError("--bundle needs --target simulator or device; on the local target give --pid or --command")
        attach = getattr(target, "attach_bundle", None)
        if attach is None:
            raise CliError(f"the {args.target} target cannot attach to a bundle id")
        app = attach(args.bundle)
    rows: list[tuple[float, int, int]] = []
    peak = 0
    start = time.monotonic()
    status = 0
    try:
        while args.duration is None or time.monotonic() - start < args.duration:
            t = time.monotonic() - start
            try:
                reading = target.read(app)
            except ReadFailed as exc:
                term = target.poll_termination(app)
                if term is not None:
                    print(f"{t:8.2f}s  the app ended: {term.describe()}")
                    break
                print(f"{t:8.2f}s  read failed: {exc}")
            else:
                peak = max(peak, reading.footprint, reading.peak or 0)
                rows.append((round(t, 3), reading.footprint, peak))
                if not args.quiet:
                    print(f"{t:8.2f}s  footprint {format_size(reading.footprint):>9}  peak {format_size(peak):>9}", flush=True)
            time.sleep(args.interval)
    except KeyboardInterrupt:
        status = 130
    finally:
        if args.command:
            target.terminate(app)
    if rows:
        print(f"{len(rows)} samples, last {format_size(rows[-1][1])}, peak {format_size(peak)}")
    if args.csv:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["t_seconds", "footprint_bytes", "peak_bytes"])
        w.writerows(rows)
        write_atomic(args.csv, buf.getvalue())
        print(f"wrote {args.csv}")
    return status
