"""``iosmem report REPORT.json``: render a saved run's report as HTML and/or Markdown.

The JSON report (``--iosmem-json``) holds everything the other reports show,
so a CI artifact can be rendered again later, or elsewhere.

Exit code: 1 when the report has failed gates (xfail demonstrations do not
count), so a CI step can gate on a saved report; 0 otherwise; 2 for a missing
or bad report file or a report format that cannot be rendered here.
"""

from __future__ import annotations

import argparse
import importlib
from types import ModuleType
from typing import Any

from .common import EXIT_OK, EXIT_REGRESSION, CliError, add_parser

#: what each renderer needs beyond the plugin itself
_EXTRAS = {"html": "pip install -e 'path/to/pytest-iosmem[html]' from a checkout (the charts need pygal)"}


def register(sub: Any) -> None:
    p = add_parser(sub, "report", "render a JSON report as HTML or Markdown", __doc__,
                   "examples:\n  iosmem report iosmem-report.json --html report.html --markdown summary.md\n"
                   "  iosmem report iosmem-report.json --markdown - >> \"$GITHUB_STEP_SUMMARY\"")
    p.add_argument("report", help="a JSON report written by --iosmem-json")
    p.add_argument("--html", metavar="OUT", help="write the self-contained HTML page here")
    p.add_argument("--markdown", metavar="OUT", help="write the Markdown summary here ('-' for stdout)")
    p.set_defaults(handler=run)


def _renderer(name: str) -> ModuleType:
    """``pytest_iosmem.reports.<name>``, imported only when asked for (pygal is optional)."""
    try:
        return importlib.import_module(f"pytest_iosmem.reports.{name}")
    except ImportError as exc:
        hint = _EXTRAS.get(name, "this version of pytest-iosmem has no such report")
        raise CliError(f"--{name}: cannot render it here ({exc}); {hint}") from None


def failed_gates(document: dict[str, Any]) -> int:
    from ..results import is_failure

    return sum(1 for t in document.get("tests", []) if is_failure(t))


def _write(name: str, document: dict[str, Any], out: str) -> None:
    renderer = _renderer(name)
    try:
        renderer.write(document, out)
    except ImportError as exc:  # a renderer may import its library only when it draws (charts: pygal)
        raise CliError(f"--{name}: cannot render it here ({exc}); {_EXTRAS.get(name, 'reinstall pytest-iosmem')}") from None
    except OSError as exc:
        raise CliError(f"--{name} {out}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {out}")


def _render_all(args: argparse.Namespace, document: dict[str, Any]) -> None:
    if args.html:
        _write("html", document, args.html)
    if args.markdown == "-":
        print(_renderer("markdown").render(document), end="")
    elif args.markdown:
        _write("markdown", document, args.markdown)


def run(args: argparse.Namespace) -> int:
    from ..reports import json_report

    if not args.html and not args.markdown:
        raise CliError("say what to render: --html OUT and/or --markdown OUT")
    document = json_report.load(args.report)
    try:
        _render_all(args, document)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # load() checked the envelope; a test record with missing or mistyped fields ends here
        raise CliError(f"{args.report}: malformed report ({type(exc).__name__}: {exc})") from None
    return EXIT_REGRESSION if failed_gates(document) else EXIT_OK
