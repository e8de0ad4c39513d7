"""What every ``iosmem`` subcommand shares: exit codes, the usage error, the parser class.

Kept apart from ``__init__`` so subcommand modules import it without a cycle.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, NoReturn

__all__ = ["EXIT_OK", "EXIT_REGRESSION", "EXIT_USAGE", "EXIT_INTERRUPTED", "CliError", "Parser", "formatter", "Handler", "read_source"]

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


#: seconds to wait for a URL a diff command reads (the reference app's debug endpoints)
FETCH_TIMEOUT = 10.0


def read_source(source: str) -> str:
    """The text of a file, or of a URL's answer (``iosmem heap-diff``/``stacks-diff`` inputs); CliError naming it."""
    import urllib.error
    import urllib.request
    from pathlib import Path

    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT) as r:
                return r.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise CliError(f"{source}: cannot fetch: {getattr(exc, 'reason', exc)}") from None
    try:
        return Path(source).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise CliError(f"{source}: no such file") from None
    except OSError as exc:
        raise CliError(f"{source}: cannot read: {exc.strerror or exc}") from None
