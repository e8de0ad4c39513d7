"""The ``iosmem`` command: look at targets, sample an app live, manage baselines, render reports.

Exit codes, for CI: 0 ok, 1 a regression was found (or a report has failed
gates), 2 a usage error (bad arguments, a missing or bad file).  Expected
errors are one line on stderr (``iosmem: error: ...``), never a traceback.

Each subcommand lives in its own module with ``register(sub)`` adding its
parser and a handler; heavy imports happen inside the handlers, so
``iosmem --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..errors import IosMemError
from .common import EXIT_INTERRUPTED, EXIT_OK, EXIT_REGRESSION, EXIT_USAGE, CliError, Handler, Parser, formatter

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_REGRESSION", "EXIT_USAGE", "CliError"]


def build_parser() -> argparse.ArgumentParser:
    from . import baseline, devices, doctor, heap_diff, history, refapp, report, sample, stacks_diff

    parser = Parser(
        prog="iosmem",
        description="pytest-iosmem's command line: targets, live sampling, baselines, reports.",
        epilog="exit codes: 0 ok, 1 regression found, 2 usage error\n"
        "examples:\n  iosmem devices\n  iosmem doctor --target simulator\n  iosmem baseline update report.json",
        formatter_class=formatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in (devices, doctor, sample, baseline, history, report, heap_diff, stacks_diff, refapp):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``iosmem`` command; returns its exit code (the console script exits with it)."""
    from_console = argv is None
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list[:1] == ["refapp"]:  # everything after it belongs to the reference app, --help included
            from .refapp import run_refapp

            return run_refapp(args_list[1:], replace_process=from_console)
        parser = build_parser()
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:  # --help and --version end here; in-process callers get a code back
            return exc.code if isinstance(exc.code, int) else EXIT_OK
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return handler(args)
    except (CliError, IosMemError) as exc:
        print(f"iosmem: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("iosmem: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
