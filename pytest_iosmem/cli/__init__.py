"""The ``iosmem`` command: look at targets, sample an app live, manage baselines, render reports.

Exit codes, for CI: 0 ok, 1 a regression was found (or a report has failed
tests), 2 a usage error (bad arguments, a missing or bad file).  Expected
errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from ..errors import IosMemError

__all__ = ["main", "EXIT_OK", "EXIT_REGRESSION", "EXIT_USAGE"]

EXIT_OK, EXIT_REGRESSION, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A usage error: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 too; keep its usage line
        self.print_usage(sys.stderr)
        raise CliError(message)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def build_parser() -> argparse.ArgumentParser:
    from . import baseline, devices, heap_diff, refapp, report, sample

    parser = _Parser(
        prog="iosmem",
        description="pytest-iosmem's command line: targets, live sampling, baselines, reports.",
        epilog="exit codes: 0 ok, 1 regression found, 2 usage error\n"
        "example: iosmem baseline update report.json",
        formatter_class=_formatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in (devices, sample, baseline, report, heap_diff, refapp):
        module.register(sub, _formatter)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        if argv[:1] == ["refapp"]:  # everything after it belongs to the reference app
            from .refapp import run_refapp

            return run_refapp(argv[1:])
        args = parser.parse_args(argv)
        handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return EXIT_USAGE
        return handler(args)
    except (CliError, IosMemError) as exc:
        print(f"iosmem: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
