"""What every ``iosmem`` subcommand shares: exit codes, the usage error, the parser class.

Kept apart from ``__init__`` so subcommand modules import it without a cycle.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, NoReturn

__all__ = ["EXIT_OK", "EXIT_REGRESSION", "EXIT_USAGE", "EXIT_INTERRUPTED", "CliError", "Parser", "formatter", "Handler"]

#: exit codes CI can act on (documented in docs/cli.md)
EXIT_OK, EXIT_REGRESSION, EXIT_USAGE = 0, 1, 2
#: the shell's code for "stopped by Ctrl-C" (128 + SIGINT)
EXIT_INTERRUPTED = 130

Handler = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A usage error (bad argument, missing or bad file): one line on stderr, exit 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are raised, not ``sys.exit``-ed.

    ``main()`` is called in-process by tests and by other tools; it must return
    an exit code rather than end the interpreter.
    """

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise CliError(message)


def formatter(prog: str) -> argparse.HelpFormatter:
    """Keep the epilog's line breaks: that is where the examples are."""
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def add_parser(sub: Any, name: str, help: str, doc: str | None, epilog: str, **kwargs: Any) -> Parser:
    """A subcommand parser with its module docstring as description and examples as epilog."""
    return sub.add_parser(name, help=help, description=doc, epilog=epilog, formatter_class=formatter, **kwargs)
