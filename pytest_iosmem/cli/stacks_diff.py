"""``iosmem stacks-diff BEFORE AFTER``: the allocation stacks whose live memory grew between two generations.

BEFORE and AFTER are each one of:

- a file saved from ``malloc_history PID|MEMGRAPH -allBySize`` or ``-callTree``
  (macOS, iOS Simulator, a device's memory graph on a Mac);
- a generation the plugin saved (``*-stacks-first.json`` / ``*-stacks-last.json``
  in the artifacts directory) or the reference app's ``/iosmem/stacks`` JSON;
- that URL, read live (``http://127.0.0.1:8100/iosmem/stacks``).

The format is detected from the content.  With ``--iterations N`` (the
scenario ran N times between them) growth is per iteration.  Exit 1 when a
stack grew by at least the noise floor, 0 when none did, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import EXIT_OK, EXIT_REGRESSION, CliError, add_parser, read_source


def register(sub: Any) -> None:
    p = add_parser(sub, "stacks-diff", "allocation stacks that grew between two generations", __doc__,
                   "examples:\n"
                   "  malloc_history MyApp -allBySize > before.txt; (run the scenario 6 times)\n"
                   "  malloc_history MyApp -allBySize > after.txt\n"
                   "  iosmem stacks-diff before.txt after.txt --iterations 6 --app 'lib:MyApp'\n"
                   "  iosmem stacks-diff iosmem-artifacts/test_x-stacks-first.json "
                   "iosmem-artifacts/test_x-stacks-last.json --iterations 5")
    p.add_argument("before", help="generation before the scenario (file or URL)")
    p.add_argument("after", help="generation after the scenario (file or URL)")
    p.add_argument("--iterations", type=int, default=1, help="times the scenario ran between them (default 1)")
    p.add_argument("--top", type=int, default=5, help="stacks to show (default 5)")
    p.add_argument("--frames", type=int, default=4, help="frames shown per stack (default 4)")
    p.add_argument("--floor", default="4KiB", help="least growth per iteration that counts (default 4KiB)")
    p.add_argument("--app", action="append", default=[], metavar="PATTERN",
                   help="frames that are the app's own: fn:NAME, lib:BINARY, file:PATH (fnmatch; repeatable)")
    p.add_argument("--system", action="append", default=[], metavar="PATTERN",
                   help="more frames to fold as system (same syntax; repeatable)")
    p.add_argument("--json", action="store_true", help="print the grown stacks as JSON (the report's 'stacks' rows) on stdout; notes go to stderr")
    p.set_defaults(handler=run)


def load_generation(source: str):
    """The generation in ``source``, whichever of the formats it is in."""
    from ..errors import ParseError
    from ..parsers.malloc_history import parse_malloc_history
    from ..attribution.stacks import generation_from_dict

    text = read_source(source)
    if text.lstrip().startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise CliError(f"{source}: not JSON ({exc})") from None
        if isinstance(doc, dict) and isinstance(doc.get("value"), dict):
            doc = doc["value"]  # the reference app's WebDriverAgent-style envelope
        try:
            return generation_from_dict(doc, source)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    try:
        return parse_malloc_history(text).generation()
    except ParseError as exc:
        raise CliError(f"{source}: neither malloc_history -allBySize/-callTree output nor a stacks snapshot: {exc}") from None


def run(args: argparse.Namespace) -> int:
    from ..attribution.stacks import StackRules, format_grown_stacks, grown_stacks
    from ..units import UnitError, parse_size

    for name in ("iterations", "top", "frames"):
        if getattr(args, name) < 1:
            raise CliError(f"--{name} {getattr(args, name)}: must be at least 1")
    try:
        floor = parse_size(args.floor)
    except (UnitError, ValueError) as exc:
        raise CliError(f"--floor {args.floor!r}: {exc}") from None
    before, after = load_generation(args.before), load_generation(args.after)
    rules = StackRules().with_patterns(system=args.system, app=args.app)
    rows = grown_stacks(before, after, args.iterations, top=args.top, floor=floor, rules=rules)
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
    elif not rows:
        print(f"no allocation stack grew by {args.floor} or more per iteration")
    else:
        print(format_grown_stacks(rows, stacks=args.top, frames=args.frames))
    for note in dict.fromkeys(before.notes + after.notes):  # with --json, stdout holds JSON only
        print(f"note: {note}", file=sys.stderr if args.json else sys.stdout)
    return EXIT_REGRESSION if rows else EXIT_OK
