"""``iosmem heap-diff A B``: the classes that grew between two class histograms.

A and B are each one of:

- a file saved from ``heap PID`` (macOS / iOS Simulator; the COUNT BYTES AVG CLASS_NAME table),
- a file with the reference app's ``/iosmem/objects`` JSON (``{"value": [{"class", "count", "bytes"}]}``),
- such a URL, read live (``http://127.0.0.1:8100/iosmem/objects``).

The format is detected from the content.  With ``--iterations N`` (the
scenario ran N times between A and B) growth is shown per iteration, which is
how a leak reads: "+1 ViewController per iteration".
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..values import ClassStat
from .common import EXIT_OK, CliError, add_parser, read_source

def register(sub: Any) -> None:
    p = add_parser(sub, "heap-diff", "grown classes between two heap class histograms", __doc__,
                   "examples:\n  heap -s MyApp > before.txt; (run the scenario 6 times); heap -s MyApp > after.txt\n"
                   "  iosmem heap-diff before.txt after.txt --iterations 6\n"
                   "  iosmem heap-diff before.json http://127.0.0.1:8100/iosmem/objects")
    p.add_argument("before", help="histogram before the scenario (file or URL)")
    p.add_argument("after", help="histogram after the scenario (file or URL)")
    p.add_argument("--iterations", type=int, default=1, help="times the scenario ran between them (default 1)")
    p.add_argument("--top", type=int, default=15, help="rows to show (default 15)")
    p.set_defaults(handler=run)


def parse_objects_json(text: str, source: str) -> list[ClassStat]:
    """The reference app's ``/iosmem/objects`` answer (WebDriverAgent-style ``value`` envelope)."""
    try:
        rows = json.loads(text)["value"]
        return [ClassStat(str(r["class"]), int(r["count"]), int(r["bytes"])) for r in rows]
    except (ValueError, KeyError, TypeError) as exc:
        raise CliError(f"{source}: not an /iosmem/objects table ({type(exc).__name__}: {exc})") from None


def load_histogram(source: str) -> list[ClassStat]:
    """Classes of one histogram, whichever of the formats it is in."""
    from ..errors import ParseError
    from ..parsers.heap import parse_heap

    text = read_source(source)
    if text.lstrip().startswith(("{", "[")):
        return parse_objects_json(text, source)
    try:
        return parse_heap(text).classes
    except ParseError as exc:
        raise CliError(f"{source}: neither heap output nor /iosmem/objects JSON: {exc}") from None


def run(args: argparse.Namespace) -> int:
    from ..attribution.classes import format_grown_classes, grown_classes

    if args.iterations < 1:
        raise CliError(f"--iterations {args.iterations}: must be at least 1")
    if args.top < 1:
        raise CliError(f"--top {args.top}: must be at least 1")
    rows = grown_classes(load_histogram(args.before), load_histogram(args.after), args.iterations, args.top)
    if not rows:
        print("no class grew")
    else:
        print(format_grown_classes(rows))
    return EXIT_OK
