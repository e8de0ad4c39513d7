"""What the Markdown and HTML reports say the same way: order, counts, deltas.

One place, so the pull request summary and the page never disagree on which
tests failed or how a change against the baseline is written.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..results import is_failure
from ..units import format_size

__all__ = ["rank", "ordered", "headline_counts", "delta", "leak_text", "origin_text", "borrowed_baselines"]


def rank(result: dict[str, Any]) -> int:
    """0: the gate failed; 1: the test did not finish normally (interrupted, errored,
    skipped, xpassed); 2: passed or an expected failure (an xfail demonstration)."""
    if is_failure(result):
        return 0
    return 1 if result.get("outcome") not in (None, "passed", "xfailed") else 2


def ordered(tests: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failures first, then unfinished tests, then the rest; run order within each (stable sort)."""
    return sorted(tests, key=rank)


def headline_counts(tests: list[dict[str, Any]]) -> list[str]:
    """``["3 gated", "1 failed", "1 interrupted", ...]``: the counts a reader looks for first."""
    parts = [f"{len(tests)} gated", f"{sum(1 for r in tests if is_failure(r))} failed"]
    for outcome, word in (("interrupted", "interrupted"), ("xfailed", "expected failures (xfail)")):
        n = sum(1 for r in tests if r.get("outcome") == outcome)
        if n:
            parts.append(f"{n} {word}")
    return parts


def delta(value: int | None, base: int | None) -> str:
    """``+1.2 MB (+4.0%)`` against a baseline value, ``-`` when either is missing."""
    if value is None or base is None:
        return "-"
    d = value - base
    pct = f" ({d / base * 100:+.1f}%)" if base else ""
    return format_size(d, signed=True) + pct


def leak_text(metrics: dict[str, Any]) -> str:
    """The leak estimate with its trend p-value: a slope with p=0.4 is noise, with p=0.001 a leak."""
    leak = metrics.get("leak")
    if not leak:
        return "-"
    return f"{format_size(leak['per_iteration'], signed=True)} (p={leak['p_value']:.2g})"


def origin_text(result: dict[str, Any]) -> str | None:
    """``profile K (nearest: why)`` when the baseline is not the current profile's own, else None."""
    origin = result.get("baseline_origin") or {}
    if not result.get("baseline") or not origin.get("profile") or origin.get("profile") == origin.get("current"):
        return None
    why = f": {origin['reason']}" if origin.get("reason") else ""
    return f"profile {origin['profile']} ({origin.get('rule', 'nearest')}{why})"


def borrowed_baselines(tests: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(nodeid, origin text)`` of every test compared with another profile's baseline."""
    return [(r.get("nodeid", "?"), t) for r in tests if (t := origin_text(r))]
