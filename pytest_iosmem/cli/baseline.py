"""``iosmem baseline show | diff | update | prune``: the stored baselines, on purpose.

- ``show``: every baseline, by profile and test;
- ``diff A B``: two profiles side by side; ``diff --report R.json``: a run
  against the stored baselines (exit 1 when something grew past ``--max-growth``);
- ``update R.json``: accept a run's numbers as the new baselines (the CI
  artifact flow); tests that leaked or broke a hard limit are refused unless ``--force``;
- ``prune``: drop baselines of tests that no longer exist (a dry run unless ``--apply``);
- ``copy|rename FROM TO``: a profile's baselines under another profile key (the new CI image day).

Baselines live in ``<dir>/<profile key>/<test module>.json``; a corrupt file is
an error naming it (exit 2) and is never rewritten.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tabulate import tabulate

from .baseline_store import Entry, entries, open_store, profiles
from .common import EXIT_OK, EXIT_USAGE, CliError, Parser, add_parser

__all__ = ["register", "show", "Entry", "entries", "open_store", "profiles"]


def register(sub: Any) -> None:
    from . import baseline_copy, baseline_diff, baseline_prune, baseline_update

    p = add_parser(sub, "baseline", "show, compare, update or prune stored baselines", __doc__,
                   "examples:\n  iosmem baseline show\n  iosmem baseline diff --report iosmem-report.json\n"
                   "  iosmem baseline update iosmem-report.json\n  iosmem baseline prune --rootdir examples --apply")
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    show_p = add_parser(actions, "show", "list baselines by profile and test", None,
                        "examples:\n  iosmem baseline show\n  iosmem baseline show --profile local-linux-cpython3.11-x86_64")
    show_p.add_argument("--profile", metavar="KEY", help="only this profile key")
    show_p.set_defaults(handler=show)
    for module in (baseline_diff, baseline_update, baseline_prune, baseline_copy):
        module.register(actions)
    for action in actions.choices.values():
        action.add_argument("--dir", default="baselines", help="the baselines directory (default: baselines)")
    p.set_defaults(handler=lambda args: (p.print_help(sys.stderr), EXIT_USAGE)[1])


def show(args: argparse.Namespace) -> int:
    from ..units import format_size

    store = open_store(args.dir)
    if args.profile and args.profile not in profiles(store):
        known = ", ".join(profiles(store)) or "none"
        raise CliError(f"--profile {args.profile}: no baselines for it in {store.root} (profiles: {known})")
    rows = []
    for e in entries(store, args.profile):
        leak = e.metrics.get("leak_per_iteration")
        rows.append([e.profile, e.nodeid, format_size(e.metrics["peak"]), format_size(e.metrics["end"]),
                     "-" if leak is None else format_size(leak, signed=True), e.metrics.get("iterations") or "-"])
    if not rows:
        print(f"no baselines in {store.root}")
        return EXIT_OK
    print(tabulate(rows, headers=("profile", "test", "peak", "end", "leak/iter", "iterations"),
                   tablefmt="simple", disable_numparse=True))
    return EXIT_OK
