"""``iosmem baseline update REPORT.json``: accept a run's numbers as the new baselines.

The pull-request flow: the gate failed on growth that is intended, so
download the JSON report from the CI run and accept it here, in one command,
then commit ``baselines/``; the reviewer sees the numbers change in the diff.

A test that broke a hard limit (leak, peak, headroom, no-reclaim, terminated)
or did not pass for another reason is refused: its numbers would hide a real
problem.  ``--force`` accepts them anyway, on purpose.  A test that failed on
growth over its baseline and nothing else is accepted: that failure is exactly
what this command exists to accept.  Expected failures (xfail demonstrations)
are never accepted without ``--force``.
"""

from __future__ import annotations

import argparse
from typing import Any

from .baseline_store import open_store
from .common import EXIT_OK, CliError, add_parser


def register(actions: Any) -> None:
    p = add_parser(actions, "update", "accept a JSON report's numbers as the new baselines", __doc__,
                   "examples:\n  gh run download RUN_ID -n iosmem-report\n"
                   "  iosmem baseline update iosmem-report.json --only-grown\n  git add baselines && git commit -m 'Accept memory growth'")
    p.add_argument("report", help="a JSON report (--iosmem-json), e.g. the CI artifact")
    p.add_argument("--force", action="store_true", help="also accept tests that failed or broke a hard limit")
    p.add_argument("--only-grown", action="store_true",
                   help="only the tests that failed on growth: the rest keep their baselines (the smallest diff)")
    p.set_defaults(handler=run)


def _profile_of(test: dict[str, Any], report: str) -> Any:
    """The test's profile, rebuilt; its key must be the one the report recorded (or we'd write elsewhere)."""
    from ..values import Profile

    p = test["profile"]
    profile = Profile(p["kind"], p["model"], p["os"], p.get("name", ""))
    if p.get("key", profile.key) != profile.key:
        raise CliError(f"{report}: profile key {p['key']!r} of {test['nodeid']} does not match its fields "
                       f"({profile.key!r}); was it written by another version of pytest-iosmem?")
    return profile


def failed_on_growth_alone(test: dict[str, Any]) -> bool:
    kinds = {f["kind"] for f in test.get("findings", [])}
    return bool(kinds) and kinds <= {"growth"} and test.get("outcome") == "failed"


def candidate(test: dict[str, Any], force: bool) -> Any:
    """The baseline to store for this test, or None.

    A test that failed on growth alone (its body ran to the end) is the one
    this command is for: ``accept_growth`` takes it; leaks and hard limits
    still need ``--force``.
    """
    from ..results import baseline_candidate

    return baseline_candidate(test, force=force, accept_growth=True)


def _refusal(test: dict[str, Any]) -> str:
    kinds = sorted({f["kind"] for f in test.get("findings", [])})
    if (test.get("metrics") or {}).get("end") is None:
        return "no footprint was measured"
    why = [] if test.get("outcome") in ("passed", "failed") else [f"outcome {test.get('outcome')}"]
    if kinds:
        why.append("findings: " + ", ".join(kinds))
    return "; ".join(why or [f"outcome {test.get('outcome')}"])


def run(args: argparse.Namespace) -> int:
    from ..reports.json_report import load
    from ..units import format_size

    doc = load(args.report)
    store = open_store(args.dir, must_exist=False)
    accepted: dict[str, tuple[Any, list[tuple[str, Any]]]] = {}
    refused: list[tuple[str, str]] = []
    try:
        for t in doc.get("tests", []):
            if args.only_grown and not failed_on_growth_alone(t):
                continue
            baseline = candidate(t, args.force)
            if baseline is None:
                refused.append((t["nodeid"], _refusal(t)))
                continue
            profile = _profile_of(t, args.report)
            accepted.setdefault(profile.key, (profile, []))[1].append((t["nodeid"], baseline))
    except (KeyError, TypeError) as exc:
        raise CliError(f"{args.report}: malformed report ({type(exc).__name__}: {exc})") from None
    if doc.get("interrupted"):
        print(f"note: {args.report} is from an interrupted run; only the tests it holds are updated")
    # Read every file first: a corrupt one stops the update before anything is written.
    before = {(key, nodeid): store.load(profile, nodeid)
              for key, (profile, items) in accepted.items() for nodeid, _ in items}
    for key, (profile, items) in accepted.items():
        for path in store.update(profile, items):
            print(f"wrote {path}")
        for nodeid, b in items:
            was = before[(key, nodeid)]
            change = "new" if was is None else f"was end {format_size(was.end)}, peak {format_size(was.peak)}"
            print(f"  {nodeid}: end {format_size(b.end)}, peak {format_size(b.peak)} ({change})")
    for nodeid, why in refused:
        print(f"refused {nodeid}: {why} (--force accepts it)")
    if not accepted:
        print("nothing to update")
    return EXIT_OK
