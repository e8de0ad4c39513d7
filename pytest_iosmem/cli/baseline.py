"""``iosmem baseline show | diff | update | prune``: the stored baselines, on purpose.

- ``show``: every baseline by profile and test;
- ``diff A B``: two profiles side by side; ``diff --report R.json``: a run against the stored baselines
  (exit 1 when something grew past ``--max-growth``);
- ``update R.json``: accept a run's numbers (the CI artifact flow); tests that leak or broke a hard
  limit are refused unless ``--force``;
- ``prune``: drop baselines of tests that no longer exist (dry run unless ``--apply``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tabulate import tabulate

from . import EXIT_OK, EXIT_REGRESSION, CliError


def register(sub, formatter) -> None:
    p = sub.add_parser("baseline", help="show, compare, update or prune stored baselines",
                       description=__doc__, formatter_class=formatter,
                       epilog="examples:\n  iosmem baseline show\n  iosmem baseline update report.json\n"
                              "  iosmem baseline diff --report report.json\n  iosmem baseline prune --apply")
    bs = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    show = bs.add_parser("show", help="list baselines by profile and test", formatter_class=formatter,
                         epilog="example: iosmem baseline show --profile local-linux-cpython3.11-x86_64")
    show.add_argument("--profile", help="only this profile key")
    diff = bs.add_parser("diff", help="compare two profiles, or a JSON report against the baselines",
                         formatter_class=formatter,
                         epilog="examples:\n  iosmem baseline diff simulator-ios_17.5-iphone15_2 simulator-ios_18.0-iphone15_2\n"
                                "  iosmem baseline diff --report report.json --max-growth 10%")
    diff.add_argument("profiles", nargs="*", metavar="PROFILE")
    diff.add_argument("--report", help="a JSON report (--iosmem-json) to compare with the stored baselines")
    diff.add_argument("--max-growth", default="10%", help="growth that counts as a regression (default 10%%)")
    upd = bs.add_parser("update", help="accept a JSON report's numbers as the new baselines", formatter_class=formatter,
                        epilog="example: iosmem baseline update report.json   # then commit baselines/")
    upd.add_argument("report")
    upd.add_argument("--force", action="store_true", help="also accept tests that leak or broke a hard limit")
    prune = bs.add_parser("prune", help="remove baselines of tests that no longer exist", formatter_class=formatter,
                          epilog="example: iosmem baseline prune --rootdir . --apply")
    prune.add_argument("--rootdir", default=".", help="where to collect the tests (default .)")
    prune.add_argument("--apply", action="store_true", help="really remove them (default: dry run)")
    prune.add_argument("--pytest-args", default="", help="extra arguments for the collection run")
    for sp in (show, diff, upd, prune):
        sp.add_argument("--dir", default="baselines", help="the baselines directory (default baselines)")
        sp.set_defaults(handler=run)
    p.set_defaults(handler=lambda args: (p.print_help(), 2)[1])


def _store(args):
    from ..baseline import BaselineStore

    root = Path(args.dir)
    if args.action != "update" and not root.is_dir():
        raise CliError(f"{root}: no baselines directory (give --dir)")
    return BaselineStore(root)


def _entries(store, profile: str | None = None):
    """(profile key, module, test, metrics) for every stored baseline."""
    root = store.root
    for key, path in store.iter_files():
        if profile and key != profile:
            continue
        module = str(path.relative_to(root / key))[: -len(".json")]
        for name, metrics in sorted(store.read_file(path)["tests"].items()):
            yield key, module, name, metrics, path


def run(args) -> int:
    return {"show": show, "diff": diff, "update": update, "prune": prune}[args.action](args)


def show(args) -> int:
    from ..units import format_size

    rows = [
        [key, f"{module}::{name}", format_size(m["peak"]), format_size(m["end"]),
         "-" if m.get("leak_per_iteration") is None else format_size(m["leak_per_iteration"], signed=True)]
        for key, module, name, m, _ in _entries(_store(args), args.profile)
    ]
    if not rows:
        print("no baselines" + (f" for profile {args.profile}" if args.profile else ""))
        return EXIT_OK
    print(tabulate(rows, headers=("profile", "test", "peak", "end", "leak/iter"), tablefmt="simple"))
    return EXIT_OK


def _pct(new: int, old: int) -> str:
    return f"{(new - old) / old * 100:+.1f}%" if old else "n/a"


def diff(args) -> int:
    from ..units import UnitError, format_size, parse_tolerance

    try:
        tolerance = parse_tolerance(args.max_growth)
    except UnitError as exc:
        raise CliError(f"--max-growth={args.max_growth!r}: {exc}") from None
    store = _store(args)
    if args.report:
        if args.profiles:
            raise CliError("give two profiles or --report, not both")
        from ..reports.json_report import load

        doc = load(args.report)
        old = {(key, f"{module}::{name}"): m for key, module, name, m, _ in _entries(store)}
        pairs = [((t["profile"]["key"], t["nodeid"]), t["metrics"]) for t in doc["tests"]]
        labels = ("baseline", "report")
    else:
        if len(args.profiles) != 2:
            raise CliError("give two profile keys (see iosmem baseline show), or --report REPORT.json")
        a, b = args.profiles
        old = {(a, f"{module}::{name}"): m for _, module, name, m, _ in _entries(store, a)}
        pairs = [((a, f"{module}::{name}"), m) for _, module, name, m, _ in _entries(store, b)]
        labels = (a, b)
    rows, regressions = [], 0
    for key, new in pairs:
        base = old.get(key)
        if base is None or new.get("end") is None:
            rows.append([key[1], "-", format_size(new.get("end")), "-", "new"])
            continue
        delta = new["end"] - base["end"]
        grew = delta > tolerance.allowance(base["end"])
        regressions += grew
        rows.append([key[1], format_size(base["end"]), format_size(new["end"]),
                     f"{format_size(delta, signed=True)} ({_pct(new['end'], base['end'])})",
                     "GREW" if grew else "ok"])
    print(tabulate(rows, headers=("test", f"end ({labels[0]})", f"end ({labels[1]})", "change", ""), tablefmt="simple"))
    if regressions:
        print(f"{regressions} test(s) grew more than {tolerance.describe()}")
        return EXIT_REGRESSION
    return EXIT_OK


def update(args) -> int:
    from ..reports.json_report import load
    from ..results import baseline_candidate
    from ..targets.base import Profile

    doc = load(args.report)
    store = _store(args)
    by_profile: dict[str, tuple[Profile, list]] = {}
    refused = []
    for t in doc["tests"]:
        cand = baseline_candidate(t, force=args.force)
        if cand is None:
            refused.append(t["nodeid"])
            continue
        p = t["profile"]
        prof = Profile(p["kind"], p["model"], p["os"], p.get("name", ""))
        by_profile.setdefault(prof.key, (prof, []))[1].append((t["nodeid"], cand))
    for prof, entries in by_profile.values():
        for path in store.update(prof, entries):
            print(f"updated {path} ({len(entries)} test(s) for {prof.key})")
    for nodeid in refused:
        print(f"refused {nodeid}: it failed or broke a hard limit (--force accepts it)")
    if not by_profile:
        print("nothing to update")
    return EXIT_OK


def _collected(rootdir: str, extra: str) -> set[str]:
    import shlex

    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *shlex.split(extra)]
    try:
        proc = subprocess.run(cmd, cwd=rootdir, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CliError(f"cannot collect the tests in {rootdir}: {exc}") from None
    if proc.returncode not in (0, 5):
        raise CliError(f"collecting the tests in {rootdir} failed (exit {proc.returncode}): {proc.stdout[-500:]}")
    return {line.strip() for line in proc.stdout.splitlines() if "::" in line}


def prune(args) -> int:
    store = _store(args)
    alive = _collected(args.rootdir, args.pytest_args)
    gone: dict[Path, list[str]] = {}
    for _key, module, name, _m, path in _entries(store):
        if f"{module}::{name}" not in alive:
            gone.setdefault(path, []).append(name)
    if not gone:
        print("every stored baseline belongs to a test that exists")
        return EXIT_OK
    for path, names in sorted(gone.items()):
        for n in names:
            print(f"{'removing' if args.apply else 'would remove'} {path}: {n}")
        if args.apply:
            store.remove(path, names)
            if not store.read_file(path)["tests"]:
                path.unlink()
                print(f"deleted {path} (no tests left)")
    if not args.apply:
        print("dry run: nothing changed (use --apply)")
    return EXIT_OK
