"""``iosmem history import | show | page``: the memory history of the main branch.

- ``import REPORT.json...``: backfill the history from saved JSON reports (``--iosmem-json``),
  each report one run (importing the same file twice adds it once);
- ``show [TEST]``: every test with its runs, or one test's series with its change points;
- ``page OUT.html``: a standalone HTML trend page for the whole suite.

The history is ``--history`` (a SQLite file or a ``postgresql://`` URL), else ``$IOSMEM_HISTORY``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_OK, EXIT_USAGE, CliError, Parser, add_parser

__all__ = ["register"]


def register(sub: Any) -> None:
    p = add_parser(sub, "history", "import reports into the memory history, show it, write a trend page", __doc__,
                   "examples:\n  iosmem history import --history iosmem-history.db reports/*.json --branch main\n"
                   "  iosmem history show --history iosmem-history.db test_app.py::test_feed\n"
                   "  iosmem history page --history postgresql://ci@db/iosmem trend.html")
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    imp = add_parser(actions, "import", "add saved JSON reports to the history, one run each", None,
                     "examples:\n  iosmem history import --history h.db r1.json r2.json --branch main")
    imp.add_argument("reports", nargs="+", metavar="REPORT.json")
    imp.add_argument("--commit", help="the commit the reports were measured at (one report)")
    imp.add_argument("--branch", help="their branch (e.g. main)")
    imp.add_argument("--tag", help="their tag (a release: a creep reference)")
    imp.set_defaults(handler=import_reports)
    show = add_parser(actions, "show", "the tests in the history, or one test's series and change points", None,
                      "examples:\n  iosmem history show --history h.db\n  iosmem history show --history h.db test_feed")
    show.add_argument("test", nargs="?", help="a test id, or a part of one that names a single test")
    show.add_argument("--metric", default="end", choices=("end", "peak", "leak", "reclaimed"))
    show.add_argument("--profile", metavar="KEY", help="only this profile key")
    show.set_defaults(handler=show_history)
    page = add_parser(actions, "page", "write a standalone HTML trend page of every test", None,
                      "examples:\n  iosmem history page --history h.db trend.html")
    page.add_argument("out", metavar="OUT.html")
    page.add_argument("--metric", default="end", choices=("end", "peak", "leak", "reclaimed"))
    page.set_defaults(handler=write_page)
    for action in actions.choices.values():
        action.add_argument("--history", default=os.environ.get("IOSMEM_HISTORY"),
                            help="a SQLite file or postgresql:// URL (default: $IOSMEM_HISTORY)")
    p.set_defaults(handler=lambda args: (p.print_help(sys.stderr), EXIT_USAGE)[1])


def _open(args: argparse.Namespace) -> Any:
    from ..history.store import open_store

    if not args.history:
        raise CliError("--history: give the history (a SQLite file or a postgresql:// URL), or set IOSMEM_HISTORY")
    return open_store(args.history)


def import_reports(args: argparse.Namespace) -> int:
    from ..history.records import run_from_report

    if args.commit and len(args.reports) > 1:
        raise CliError("--commit names one commit: import one report at a time with it")
    runs = []
    for name in args.reports:
        path = Path(name)
        if not path.is_file():
            raise CliError(f"{name}: no such file")
        try:
            runs.append(run_from_report(path, args.commit, args.branch, args.tag))
        except ValueError as exc:
            raise CliError(str(exc)) from None
    added = skipped = 0
    with _open(args) as store:
        for info, rows in runs:
            if store.append(info, rows) is None:
                skipped += 1
            else:
                added += 1
        name = store.name
    print(f"imported {added} run(s) into {name}" + (f"; {skipped} already there" if skipped else ""))
    return EXIT_OK


def _match(tests: list[tuple[str, str, int]], wanted: str, profile: str | None) -> list[tuple[str, str, int]]:
    chosen = [t for t in tests if profile in (None, t[1])]
    exact = [t for t in chosen if t[0] == wanted]
    if exact:
        return exact
    found = [t for t in chosen if wanted in t[0]]
    if len({t[0] for t in found}) > 1:
        names = ", ".join(sorted({t[0] for t in found})[:5])
        raise CliError(f"{wanted!r} names more than one test: {names}")
    if not found:
        raise CliError(f"{wanted!r}: no such test in the history" + (f" on profile {profile}" if profile else ""))
    return found


def show_history(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from ..history.creep import levels
    from ..history.gate import history_of
    from ..units import format_size

    with _open(args) as store:
        tests = store.tests()
        if not args.test:
            rows = []
            for nodeid, profile, runs in tests:
                if args.profile in (None, profile):
                    h = history_of(store, nodeid, profile, args.metric)
                    pts = h["points"]
                    rows.append([nodeid, profile, runs, format_size(pts[0]["value"]) if pts else "-",
                                 format_size(pts[-1]["value"]) if pts else "-", len(h["change_points"])])
            if not rows:
                print(f"the history {store.name} is empty")
                return EXIT_OK
            print(tabulate(rows, headers=("test", "profile", "runs", f"first {args.metric}", f"last {args.metric}",
                                          "change points"), tablefmt="simple", disable_numparse=True))
            return EXIT_OK
        for nodeid, profile, _ in _match(tests, args.test, args.profile):
            h = history_of(store, nodeid, profile, args.metric, limit=10_000)
            print(f"{nodeid} · {profile} · {args.metric}")
            cps = set(h["change_points"])
            level = levels([p["value"] for p in h["points"]], sorted(cps))
            rows = []
            for i, p in enumerate(h["points"]):
                step = ""
                if i in cps and level[i - 1]:
                    size = level[i] - level[i - 1]
                    step = f"◆ step {format_size(size, signed=True)} ({size / level[i - 1]:+.1%})"
                rows.append([p["run_id"], p["created"][:19], (p["commit"] or "-")[:12], p["tag"] or "",
                             format_size(p["value"]), step])
            print(tabulate(rows, headers=("run", "date", "commit", "tag", args.metric, "change point"),
                           tablefmt="simple", disable_numparse=True))
    return EXIT_OK


def write_page(args: argparse.Namespace) -> int:
    from ..atomic import write_atomic
    from ..history.gate import history_of

    try:
        from ..reports.history_chart import trend_page
    except ImportError as exc:
        raise CliError(f"page: needs pygal ({exc}): pip install 'pytest-iosmem[html]'") from None
    with _open(args) as store:
        histories = [history_of(store, n, p, args.metric) for n, p, _ in store.tests()]
        name = store.name
    try:
        write_atomic(args.out, trend_page(histories, f"iOS memory history: {name}"))
    except OSError as exc:
        raise CliError(f"{args.out}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {args.out}: {len(histories)} test(s)")
    return EXIT_OK
