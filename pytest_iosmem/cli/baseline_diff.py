"""``iosmem baseline diff``: what changed between two profiles, or between a run and the baselines.

It applies the gate's own growth rule to the end and peak footprints: growth
beyond ``--max-growth`` (default 10%) and beyond ``--noise-floor`` (default 1MB,
the gate's default) is a regression, and the exit code is 1.  So
``iosmem baseline diff --report iosmem-report.json`` answers "would the gate
have failed on growth", before anyone accepts the numbers.  It finds each test's
baseline as the gate does (:meth:`BaselineStore.lookup`): the test's own profile,
else the nearest stored one (``--profile exact`` or a key pins it), and names the
profile it used on the row, so a run on a new machine is compared, not called new.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Mapping

from tabulate import tabulate

from ..values import Profile
from .baseline_store import entries, open_store, profiles
from .common import EXIT_OK, EXIT_REGRESSION, CliError, add_parser

METRICS = ("end", "peak")


def register(actions: Any) -> None:
    p = add_parser(actions, "diff", "compare two profiles, or a JSON report against the baselines", __doc__,
                   "examples:\n  iosmem baseline diff simulator-ios_17.5-iphone15_2 simulator-ios_18.0-iphone15_2\n"
                   "  iosmem baseline diff --report iosmem-report.json\n"
                   "  iosmem baseline diff --report iosmem-report.json --profile local-linux-cpython3.12-x86_64")
    p.add_argument("profiles", nargs="*", metavar="PROFILE", help="two profile keys (see iosmem baseline show)")
    p.add_argument("--report", help="a JSON report (--iosmem-json) to compare with the stored baselines")
    p.add_argument("--profile", metavar="RULE", default="nearest",
                   help="with --report: which baselines, as the gate's --iosmem-baseline-profile: nearest (default: "
                        "each test's own profile, else the nearest stored one), exact, or a profile key")
    p.add_argument("--max-growth", default="10%", help="growth that counts as a regression: 10%%, 5MB or 10%%,5MB "
                   "(default 10%%)")
    p.add_argument("--noise-floor", default="1MB", help="growth never flagged below this (default 1MB, as the gate)")
    p.set_defaults(handler=run)


@dataclass(frozen=True)
class Change:
    """One test's numbers on both sides; ``old``/``new`` are None when that side has none."""

    nodeid: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    expected: str = ""  # "xfailed" when the run expected this test to fail
    source: str = ""  # the stored profile the old numbers came from, when it is not the test's own


def grew(old: int, new: int, tolerance: Any, floor: int) -> bool:
    """The gate's rule (:func:`..verdict.policy.allowance`): beyond the tolerance and the noise floor."""
    from ..verdict.policy import allowance

    return new - old > allowance(tolerance, floor, old)


def _delta(old: int | None, new: int | None) -> str:
    from ..units import format_size

    if old is None or new is None:
        return "-"
    pct = f"{(new - old) / old * 100:+.1f}%" if old else "n/a"
    return f"{format_size(new - old, signed=True)} ({pct})"


def _row(c: Change, tolerance: Any, floor: int) -> tuple[list[str], bool]:
    from ..units import format_size

    if c.old is None:
        return [c.nodeid, "-", format_size((c.new or {}).get("end")), "-", "-", format_size((c.new or {}).get("peak")),
                "-", "new (no baseline)"], False
    if c.new is None:
        return [c.nodeid, format_size(c.old["end"]), "-", "-", format_size(c.old["peak"]), "-", "-",
                "not in the run"], False
    grown = [m for m in METRICS if c.new.get(m) is not None and grew(c.old[m], c.new[m], tolerance, floor)]
    if c.new.get("end") is None:
        state = "no numbers (the test ended early)"
    elif grown and c.expected:
        state = "grew " + ",".join(grown) + f" ({c.expected}: expected)"
        grown = []  # a demonstration of the growth gate is not a regression
    else:
        state = "GREW " + ",".join(grown) if grown else "ok"
    row = [c.nodeid]
    for m in METRICS:
        row += [format_size(c.old[m]), format_size(c.new.get(m)), _delta(c.old[m], c.new.get(m))]
    row.append(f"{state} (vs {c.source})" if c.source else state)
    return row, bool(grown)


def _from_profiles(args: argparse.Namespace, store: Any) -> tuple[list[Change], tuple[str, str]]:
    if len(args.profiles) != 2:
        raise CliError("give two profile keys (see iosmem baseline show), or --report REPORT.json")
    if args.profile != "nearest":
        raise CliError("--profile goes with --report; to compare two profiles give both keys")
    known = profiles(store)
    for key in args.profiles:
        if key not in known:
            raise CliError(f"profile {key}: no baselines for it in {store.root} (profiles: {', '.join(known) or 'none'})")
    a, b = args.profiles
    old = {e.nodeid: e.metrics for e in entries(store, a)}
    new = {e.nodeid: e.metrics for e in entries(store, b)}
    print(f"A = {a}\nB = {b}")
    return [Change(n, old.get(n), new.get(n)) for n in sorted(old.keys() | new.keys())], ("A", "B")


def _from_report(args: argparse.Namespace, store: Any) -> tuple[list[Change], tuple[str, str]]:
    from ..reports.json_report import load

    if args.profiles:
        raise CliError("give two profiles or --report, not both")
    doc = load(args.report)
    if args.profile not in ("nearest", "exact") and args.profile not in profiles(store):
        raise CliError(f"--profile {args.profile}: no baselines for it in {store.root} "
                       f"(profiles: {', '.join(profiles(store)) or 'none'}; or nearest, exact)")
    changes = []
    for t in doc.get("tests", []):
        p = t["profile"]
        profile = Profile(p["kind"], p["model"], p["os"], p.get("name", ""))
        found = store.lookup(profile, t["nodeid"], args.profile)  # the gate's own rule
        expected = t.get("outcome") if t.get("outcome") in ("xfailed", "xpassed") else ""
        origin = None if found is None else found.origin
        source = "" if origin is None or origin.profile == profile.key else f"{origin.profile}, {origin.rule}"
        changes.append(Change(t["nodeid"], None if found is None else found.to_dict(), t.get("metrics") or {},
                              expected, source))
    rule = {"nearest": "each test's own profile, else the nearest stored one (as the gate)",
            "exact": "each test's own profile only"}.get(args.profile, args.profile)
    print(f"baselines: {rule}; run: {args.report}")
    return changes, ("base", "run")


def run(args: argparse.Namespace) -> int:
    from ..units import UnitError, parse_size, parse_tolerance

    try:
        tolerance = parse_tolerance(args.max_growth)
    except UnitError as exc:
        raise CliError(f"--max-growth {args.max_growth!r}: {exc}") from None
    try:
        floor = parse_size(args.noise_floor)
    except UnitError as exc:
        raise CliError(f"--noise-floor {args.noise_floor!r}: {exc}") from None
    store = open_store(args.dir)
    try:
        changes, (a, b) = _from_report(args, store) if args.report else _from_profiles(args, store)
    except (KeyError, TypeError) as exc:
        raise CliError(f"{args.report}: malformed report ({type(exc).__name__}: {exc})") from None
    rows, regressions = [], 0
    for c in changes:
        row, grown = _row(c, tolerance, floor)
        rows.append(row)
        regressions += grown
    if not rows:
        print("nothing to compare")
        return EXIT_OK
    headers = ("test", f"end {a}", f"end {b}", "± end", f"peak {a}", f"peak {b}", "± peak", "")
    print(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))
    if regressions:
        print(f"{regressions} test(s) grew more than {tolerance.describe()} (noise floor {args.noise_floor})")
        return EXIT_REGRESSION
    print(f"no test grew more than {tolerance.describe()} (noise floor {args.noise_floor})")
    return EXIT_OK
