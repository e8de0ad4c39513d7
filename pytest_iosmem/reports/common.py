"""What the Markdown and HTML reports say the same way: order, counts, deltas.

One place, so the pull request summary and the page never disagree on which
tests failed or how a change against the baseline is written.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..results import inconclusive_checks, is_failure
from ..units import format_size

__all__ = [
    "rank", "ordered", "headline_counts", "delta", "leak_text", "leak_decision", "hosts",
    "origin_text", "borrowed_baselines", "ab_heading", "ab_launched", "ab_rows", "versus",
]


def rank(result: dict[str, Any]) -> int:
    """0: the gate failed; 1: the test did not finish normally (interrupted, errored,
    skipped, xpassed) or a check was inconclusive; 2: passed or an expected failure
    (an xfail demonstration)."""
    if is_failure(result):
        return 0
    if inconclusive_checks(result):
        return 1
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
    n = sum(1 for r in tests if inconclusive_checks(r))
    if n:
        parts.append(f"{n} inconclusive")
    return parts


def delta(value: int | None, base: int | None) -> str:
    """``+1.2 MB (+4.0%)`` against a baseline value, ``-`` when either is missing."""
    if value is None or base is None:
        return "-"
    d = value - base
    pct = f" ({d / base * 100:+.1f}%)" if base else ""
    return format_size(d, signed=True) + pct


def versus(result: dict[str, Any], metric: str) -> str:
    """The ``vs baseline`` cell of ``end``/``peak``: against the stored baseline, or head − base in an A/B run."""
    row = ((result.get("ab") or {}).get("metrics") or {}).get(metric)
    if row:
        from ..verdict.ab import diff_text

        return f"{diff_text(metric, row)} vs base"
    return delta((result.get("metrics") or {}).get(metric), (result.get("baseline") or {}).get(metric))


def leak_decision(result: dict[str, Any]) -> dict[str, Any] | None:
    """The leak check's decision of a result (None: not judged, or a report from before decisions)."""
    return next((d for d in result.get("decisions") or () if d.get("check") == "leak"), None)


def leak_text(metrics: dict[str, Any], result: dict[str, Any] | None = None) -> str:
    """The leak estimate with its p-value and iterations: a slope with p=0.4 is noise, with p=0.001 a leak.

    With the leak decision (``result``): its p-value against the limit and the
    iterations it used, ``+N`` when the engine added some to decide.
    """
    leak = metrics.get("leak")
    if not leak:
        return "-"
    d = leak_decision(result) if result else None
    if d is None or d.get("p") is None:
        return f"{format_size(leak['per_iteration'], signed=True)} (p={leak['p_value']:.2g})"
    added = f" +{d['added']}" if d.get("added") else ""
    return f"{format_size(leak['per_iteration'], signed=True)} (p={d['p']:.2g}, n={d['steps']}{added})"


def hosts(tests: Iterable[dict[str, Any]]) -> list[str]:
    """The hosts that ran these tests, in first-seen order (results before hosts were recorded have none).

    With more than one, every report names the host of each test (a host column);
    with one, it is said once.
    """
    seen: list[str] = []
    for r in tests:
        h = r.get("host")
        if h and h not in seen:
            seen.append(h)
    return seen


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


AB_HEADERS = ("test", "metric", "base", "head", "head − base", "interval", "limit", "pairs", "decision")


def ab_heading(tests: Iterable[dict[str, Any]]) -> str | None:
    """``A/B run: base … vs head … (ABBA order, …)`` when the run was an A/B run, else None."""
    first = next((r["ab"] for r in tests if r.get("ab")), None)
    if first is None:
        return None
    return (f"A/B run: each test ran as paired trials of the base build ({first['base_app']}) and the head build "
            f"({first['head_app']}), {first['order']} order, {first.get('planned', '?')} to {first['max_pairs']} pairs, "
            f"judged on head − base at {first['confidence'] * 100:g}% confidence; no stored baseline was used")


def ab_launched(tests: Iterable[dict[str, Any]]) -> list[str]:
    """``base: <command; interpreter; cwd; env>``, ``head: …`` and any difference beyond the build, as lines."""
    first = next((r["ab"] for r in tests if r.get("ab")), None)
    launches = (first or {}).get("launches") or {}
    lines = [f"{b}: {(launches.get(b) or {}).get('describe') or first[b + '_app']}" for b in ("base", "head")] if first else []
    lines += [f"WARNING, launched differently beyond the build: {d}" for d in launches.get("differences") or []]
    return lines


def ab_rows(tests: Iterable[dict[str, Any]]) -> list[tuple[list[str], str]]:
    """One row per A/B test and metric (plain text cells, :data:`AB_HEADERS`) and its outcome word.

    The decision is said in the failure message's words (:func:`..verdict.ab.decision_words`)
    and the limit is on every row, so a passing row shows how close it came.
    """
    from ..verdict.ab import decision_words, diff_text, limit_text

    rows: list[tuple[list[str], str]] = []
    for r in tests:
        ab = r.get("ab")
        if not ab:
            continue
        if ab.get("failed_build"):
            rows.append(([r.get("nodeid", "?"), "-", "-", "-", "-", "-", "-", str(ab.get("pairs", 0)),
                          f"{ab['failed_build']} build failed"], "finding"))
            continue
        for metric, row in (ab.get("metrics") or {}).items():
            interval = "-" if row.get("low") is None else \
                f"[{format_size(row['low'], signed=True)}, {format_size(row['high'], signed=True)}]"
            rows.append(([r.get("nodeid", "?"), metric, format_size(row["base"]), format_size(row["head"]),
                          diff_text(metric, row), interval, limit_text(row), str(row["pairs"]), decision_words(row)],
                         str(row["outcome"])))
    return rows
