"""``iosmem sample``: live footprint of a running app, with a running peak.

Like the perf tools iOS teams use (tidevice perf, Xcode's memory gauge), for
exploring an app before writing a gate: one line per sample.  It stops after
``--duration`` seconds, when the app ends, or on Ctrl-C / SIGTERM; the CSV
(t_seconds, footprint_bytes, peak_bytes) is written at the end in every case,
atomically (a reader never sees half a file).

The footprint is the target's: phys_footprint on a simulator (host pid) or
device (sysmontap), /proc's private+swap on a Linux local process.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shlex
import sys
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..errors import ReadFailed
from ..targets.base import App, AppSpec, Target
from ..units import format_size
from .common import EXIT_INTERRUPTED, EXIT_OK, EXIT_REGRESSION, CliError, add_parser

CSV_HEADER = ("t_seconds", "footprint_bytes", "peak_bytes")


def register(sub: Any) -> None:
    p = add_parser(sub, "sample", "live footprint of a running app, with a running peak", __doc__,
                   "examples:\n  iosmem sample --pid 4242 --duration 30 --csv app.csv\n"
                   "  iosmem sample --command 'python -m pytest_iosmem.refapp' --duration 5\n"
                   "  iosmem sample --target simulator --bundle com.example.MyApp --interval 0.25")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--pid", type=int, help="a running process (local), or the app's host pid (simulator)")
    who.add_argument("--bundle", metavar="ID", help="bundle id of a running app (simulator and device targets)")
    who.add_argument("--command", help="start this command on the local target, sample it, stop it at the end")
    p.add_argument("--target", default="local", choices=("local", "simulator", "device"), help="default: local")
    p.add_argument("--udid", help="which simulator or device (default: the booted simulator / the only device)")
    p.add_argument("--interval", type=float, default=0.5, metavar="S", help="seconds between samples (default 0.5)")
    p.add_argument("--duration", type=float, default=None, metavar="S",
                   help="stop after this many seconds (default: until the app ends or Ctrl-C)")
    p.add_argument("--csv", metavar="FILE", help="write t_seconds,footprint_bytes,peak_bytes rows here at the end")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    p.set_defaults(handler=run)


@dataclass
class Session:
    """What one sampling run saw."""

    rows: list[tuple[float, int, int]] = field(default_factory=list)
    peak: int = 0
    ended: str | None = None  # how the app ended, if it did
    failed: bool = False  # it ended with a non-zero status or a signal (a crash, not a finished command)


def _check_args(args: argparse.Namespace) -> None:
    if args.interval <= 0:
        raise CliError(f"--interval {args.interval:g}: must be a positive number of seconds")
    if args.duration is not None and args.duration <= 0:
        raise CliError(f"--duration {args.duration:g}: must be a positive number of seconds")
    if args.pid is not None and args.pid <= 0:
        raise CliError(f"--pid {args.pid}: not a process id")
    if args.bundle and args.target == "local":
        raise CliError("--bundle needs --target simulator or device; on the local target give --pid or --command")
    if args.command and args.target != "local":
        raise CliError(f"--command starts a local process; with --target {args.target} give --bundle or --pid")
    if args.command is not None and not shlex.split(args.command):
        raise CliError("--command is empty")


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists; reading it may still fail
    return True


def _open(args: argparse.Namespace) -> tuple[Target, App]:
    from ..targets import TargetContext, create_target

    options = {"simulator_udid": args.udid, "device_udid": args.udid}
    # Host pids (local, simulator) are checked here so the error names *this* command's option.
    if args.pid is not None and args.target != "device" and not _pid_exists(args.pid):
        raise CliError(f"--pid {args.pid}: no such process")
    target = create_target(args.target, TargetContext(option=options.get))
    try:
        if args.pid is not None:
            return target, target.attach(args.pid)
        if args.command:
            return target, target.launch(AppSpec(command=shlex.split(args.command)))
        attach_bundle: Callable[[str], App] | None = getattr(target, "attach_bundle", None)
        if attach_bundle is None:
            raise CliError(f"the {args.target} target cannot find an app by bundle id")
        return target, attach_bundle(args.bundle)
    except BaseException:
        target.close()
        raise


def _ticks(interval: float, duration: float | None) -> Iterator[float]:
    """Seconds since start, one per interval, on a fixed schedule (no drift from slow reads)."""
    start = time.monotonic()
    n = 0
    while True:
        t = time.monotonic() - start
        if duration is not None and t >= duration:
            return
        yield t
        n += 1
        delay = start + n * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def sample(target: Target, app: App, interval: float, duration: float | None,
           show: Callable[[str], None], s: Session) -> Session:
    """Read the footprint into ``s`` until the duration is over or the app ends.

    Ctrl-C propagates; ``s`` is filled as it goes, so what was read before it is kept.
    """
    for t in _ticks(interval, duration):
        try:
            reading = target.read(app)
        except ReadFailed as exc:
            term = target.poll_termination(app)
            if term is not None:
                s.ended = term.describe()
                s.failed = term.exit_code != 0 or term.signal is not None
                show(f"{t:8.2f}s  the app ended: {s.ended}")
                return s
            show(f"{t:8.2f}s  read failed: {exc}")
            continue
        s.peak = max(s.peak, reading.footprint, reading.peak or 0)
        s.rows.append((round(t, 3), reading.footprint, s.peak))
        show(f"{t:8.2f}s  footprint {format_size(reading.footprint):>9}  peak {format_size(s.peak):>9}")
    return s


def write_csv(path: str, rows: list[tuple[float, int, int]]) -> None:
    from ..atomic import write_atomic

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    w.writerows(rows)
    try:
        write_atomic(path, buf.getvalue())
    except OSError as exc:
        raise CliError(f"--csv {path}: cannot write: {exc.strerror or exc}") from None


class _SigtermAsInterrupt:
    """SIGTERM (CI timeouts, ``kill``) stops sampling like Ctrl-C does, so the CSV is still written."""

    def __enter__(self) -> None:
        self._old = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGTERM, self._raise)

    @staticmethod
    def _raise(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)


def run(args: argparse.Namespace) -> int:
    _check_args(args)
    if args.csv and os.path.isdir(args.csv):
        raise CliError(f"--csv {args.csv}: is a directory")
    target, app = _open(args)
    show: Callable[[str], None] = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    who = app.name if app.name == f"pid {app.pid}" else f"{app.name} (pid {app.pid})"
    print(f"sampling {who} on the {target.kind} target every {args.interval:g}s"
          + (f" for {args.duration:g}s" if args.duration else " until it ends or Ctrl-C"), flush=True)
    status = EXIT_OK
    session = Session()
    last_output: list[str] = []
    with _SigtermAsInterrupt():
        try:
            sample(target, app, args.interval, args.duration, show, session)
        except KeyboardInterrupt:
            status = EXIT_INTERRUPTED
            print("interrupted")
        finally:
            if session.failed and hasattr(target, "last_output"):
                last_output = target.last_output(app)
            if app.launched:
                target.terminate(app)
            target.close()
    rows = session.rows
    if rows:
        print(f"{len(rows)} samples, last {format_size(rows[-1][1])}, peak {format_size(session.peak)}")
    else:
        print("no sample was read")
    if status == EXIT_OK and (session.failed or not rows):
        # an app that crashed, or nothing measured, is not a successful sampling run
        status = EXIT_REGRESSION
        if session.failed:
            print(f"iosmem: the app ended: {session.ended}", file=sys.stderr)
            if last_output:
                print("its last output:\n  " + "\n  ".join(last_output), file=sys.stderr)
    if args.csv:
        write_csv(args.csv, rows)
        print(f"wrote {args.csv} ({len(rows)} rows)")
    return status
