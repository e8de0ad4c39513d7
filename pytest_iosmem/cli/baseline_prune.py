"""``iosmem baseline prune``: remove the baselines of tests that no longer exist.

The tests that exist are the ones pytest collects in ``--rootdir``
(``python -m pytest --collect-only -q``, in a subprocess with a timeout), so
the node ids match the ones the baselines were stored under when that is
where the gated run starts (for this repository's examples: ``--rootdir examples``).

It is a dry run unless ``--apply``: it prints what would go.  With
``--apply`` the tests are removed from their files, and a file left with no
test is deleted.  Nothing is pruned when the collection fails or finds no
test at all: a typo in ``--rootdir`` must not read as "every test is gone".
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from .baseline_store import entries, open_store
from .common import EXIT_OK, CliError, add_parser

COLLECT = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]


def register(actions: Any) -> None:
    p = add_parser(actions, "prune", "remove baselines of tests that no longer exist (dry run by default)", __doc__,
                   "examples:\n  iosmem baseline prune --rootdir examples            # what would go\n"
                   "  iosmem baseline prune --rootdir examples --apply    # remove it")
    p.add_argument("--rootdir", default=".", help="where pytest collects the tests (default: .)")
    p.add_argument("--apply", action="store_true", help="really remove them (default: dry run)")
    p.add_argument("--pytest-args", default="", metavar="ARGS", help="extra arguments for the collection run")
    p.add_argument("--timeout", type=float, default=600, metavar="S", help="collection time limit (default 600)")
    p.set_defaults(handler=run)


def collected_nodeids(rootdir: str, extra: str = "", timeout: float = 600) -> set[str]:
    """Node ids pytest collects in ``rootdir``; CliError when that cannot be known for sure."""
    if not Path(rootdir).is_dir():
        raise CliError(f"--rootdir {rootdir}: no such directory")
    try:
        cmd = [*COLLECT, *shlex.split(extra)]
    except ValueError as exc:
        raise CliError(f"--pytest-args {extra!r}: {exc}") from None
    try:
        proc = subprocess.run(cmd, cwd=rootdir, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CliError(f"collecting the tests in {rootdir} took more than {timeout:g}s (--timeout)") from None
    except OSError as exc:
        raise CliError(f"cannot run pytest to collect the tests in {rootdir}: {exc}") from None
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
    if proc.returncode == 5:
        raise CliError(f"pytest collected no test in {rootdir}; nothing is pruned (is --rootdir right?)")
    if proc.returncode != 0:
        raise CliError(f"collecting the tests in {rootdir} failed (pytest exit {proc.returncode}); nothing is pruned:\n{tail}")
    nodeids = {line.strip() for line in proc.stdout.splitlines() if "::" in line and not line.startswith(" ")}
    if not nodeids:
        raise CliError(f"could not read the collected node ids in {rootdir} (is -q in addopts?); nothing is pruned:\n{tail}")
    return nodeids


def run(args: argparse.Namespace) -> int:
    store = open_store(args.dir)
    stored = list(entries(store))  # read (and validate) every file before collecting
    alive = collected_nodeids(args.rootdir, args.pytest_args, args.timeout)
    gone: dict[Path, list[str]] = {}
    for e in stored:
        if e.nodeid not in alive:
            gone.setdefault(e.path, []).append(e.nodeid.partition("::")[2])
    if args.apply:
        for tmp in store.sweep_temps():
            print(f"removed {tmp} (left by a killed write)")
    if not gone:
        print(f"all {len(stored)} stored baselines belong to tests that exist")
        return EXIT_OK
    verb = "removed" if args.apply else "would remove"
    for path, names in sorted(gone.items()):
        for name in names:
            print(f"{verb} {path}: {name}")
        if args.apply:
            store.remove(path, names, delete_if_empty=True)  # read, remove and delete under one lock
            if not path.exists():
                print(f"deleted {path} (no test left)")
    total = sum(map(len, gone.values()))
    if args.apply:
        print(f"{total} baseline(s) removed")
    else:
        print(f"dry run: {total} baseline(s) would be removed; nothing changed (run again with --apply)")
    return EXIT_OK
