"""The terminal summary table (tabulate), kept readable at 100 columns."""

from __future__ import annotations

from typing import Any, Sequence

from ..results import inconclusive_checks, is_failure, verdict_label
from ..units import format_size

__all__ = ["summary_rows", "format_summary", "HEADERS"]

HEADERS = ("test", "peak", "end", "leak/iter", "reclaim", "vs base", "verdict")


def _short(nodeid: str, width: int) -> str:
    """The test name without its module; too long, it keeps its start and its
    parameters (``test_leaky_scr…[Timer Detail]``), which tell tests apart."""
    name = nodeid.split("::", 1)[-1] if "::" in nodeid else nodeid
    if len(name) <= width:
        return name
    keep = width - 1
    tail = min(len(name) - name.find("[") if "[" in name else keep // 3, keep * 2 // 3)
    return name[: keep - tail] + "…" + name[len(name) - tail :]


def _delta(result: dict[str, Any]) -> str:
    ab_end = ((result.get("ab") or {}).get("metrics") or {}).get("end")
    if ab_end:  # an A/B run: head - base, not against a stored baseline
        pct = f" {ab_end['diff'] / ab_end['base'] * 100:+.0f}%" if ab_end["base"] else ""
        return format_size(ab_end["diff"], signed=True) + pct
    base = result.get("baseline")
    end = (result.get("metrics") or {}).get("end")
    if not base or end is None or result.get("outcome") == "skipped":  # a skipped body measured nothing to compare
        return "-"
    delta = end - base["end"]
    pct = f" {delta / base['end'] * 100:+.0f}%" if base["end"] else ""
    return format_size(delta, signed=True) + pct


def summary_rows(results: Sequence[dict[str, Any]], name_width: int = 30) -> list[list[str]]:
    rows = []
    for r in results:
        m = r.get("metrics") or {}
        leak = m.get("leak")
        leak_text = "-" if not leak else format_size(leak["per_iteration"], signed=True)
        rows.append(
            [
                _short(r["nodeid"], name_width),
                format_size(m.get("peak")),
                format_size(m.get("end")),
                leak_text,
                format_size(m.get("reclaimed")) if m.get("reclaimed") is not None else "-",
                _delta(r),
                verdict_label(r),
            ]
        )
    return rows


def _origin_lines(results: Sequence[dict[str, Any]]) -> str:
    """Say plainly which tests were compared with another profile's baseline, grouped by that profile."""
    from .common import borrowed_baselines

    groups: dict[str, list[str]] = {}
    for nodeid, text in borrowed_baselines(results):
        groups.setdefault(text, []).append(nodeid.split("::", 1)[-1])
    lines = []
    for text, names in groups.items():
        lines.append(f"baselines of {len(names)} test(s) from {text}")
    return ("\n" + "\n".join(lines)) if lines else ""


def _ab_lines(results: Sequence[dict[str, Any]]) -> str:
    """An A/B run says so, names both builds, and gives each test's base, head, difference and interval."""
    from ..verdict.ab import ab_line

    abs_ = [r for r in results if r.get("ab")]
    if not abs_:
        return ""
    from .common import ab_launched

    first = abs_[0]["ab"]
    lines = [f"A/B run ({first['order']} order, up to {first['max_pairs']} pairs per test), launched:"]
    lines += [f"  {line}" for line in ab_launched(abs_)]
    for r in abs_:
        ab = r["ab"]
        name = r["nodeid"].split("::", 1)[-1]
        if ab.get("failed_build"):
            lines.append(f"  {name}: the {ab['failed_build']} build failed; no comparison")
            continue
        for metric, row in (ab.get("metrics") or {}).items():
            lines.append(f"  {name}: {ab_line(metric, row, ab['confidence'])}")  # the failure's own words
    return "\n" + "\n".join(lines)


def format_summary(results: Sequence[dict[str, Any]], width: int = 100) -> str:
    """Failures first, then other findings and inconclusive checks, then the rest in run order; a host column when tests ran on several hosts."""
    from tabulate import tabulate

    from .common import hosts

    ordered = sorted(results, key=lambda r: 0 if is_failure(r) else 1 if r.get("findings") or inconclusive_checks(r) else 2)
    by_host = len(hosts(ordered)) > 1
    headers = HEADERS + ("host",) if by_host else HEADERS
    # as wide as the longest name, then narrower only while the table is wider than the terminal
    name_width = max([30] + [len(_short(r["nodeid"], 10**6)) for r in ordered])
    while True:
        rows = summary_rows(ordered, name_width)
        if by_host:
            rows = [row + [r.get("host") or "?"] for row, r in zip(rows, ordered)]
        text = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
        longest = max(len(line) for line in text.splitlines())
        if longest <= width or name_width <= 12:
            return text + _origin_lines(ordered) + _ab_lines(ordered)
        name_width -= longest - width
        name_width = max(name_width, 12)
