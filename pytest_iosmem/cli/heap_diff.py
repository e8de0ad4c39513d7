"""``iosmem heap-diff A B``: the classes that grew between two class histograms.

A and B are files from ``heap PID`` or the reference app's
``/iosmem/objects`` JSON, or such a URL (``http://127.0.0.1:8100/iosmem/objects``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from . import CliError


def register(sub, formatter) -> None:
    p = sub.add_parser("heap-diff", help="grown classes between two heap class histograms",
                       description=__doc__, formatter_class=formatter,
                       epilog="example: iosmem heap-diff before.heap after.heap --iterations 6")
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--iterations", type=int, default=1, help="divide growth by this many iterations (default 1)")
    p.add_argument("--top", type=int, default=15, help="rows to show (default 15)")
    p.set_defaults(handler=run)


def load_histogram(source: str):
    from ..errors import ParseError
    from ..parsers.heap import parse_heap
    from ..targets.base import ClassStat

    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=10) as r:
                text = r.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as exc:
            raise CliError(f"{source}: cannot fetch: {exc}") from None
    else:
        try:
            text = Path(source).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            raise CliError(f"{source}: no such file") from None
        except OSError as exc:
            raise CliError(f"{source}: cannot read: {exc.strerror}") from None
    if text.lstrip().startswith("{"):
        try:
            rows = json.loads(text)["value"]
            return [ClassStat(str(r["class"]), int(r["count"]), int(r["bytes"])) for r in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise CliError(f"{source}: not an /iosmem/objects table ({exc})") from None
    try:
        return parse_heap(text).classes
    except ParseError as exc:
        raise CliError(f"{source}: {exc}") from None


def run(args) -> int:
    from ..attribution import format_grown_classes, grown_classes

    if args.iterations < 1:
        raise CliError(f"--iterations={args.iterations}: must be at least 1")
    rows = grown_classes(load_histogram(args.before), load_histogram(args.after), args.iterations, args.top)
    if not rows:
        print("no class grew")
        return 0
    print(format_grown_classes(rows))
    return 0
