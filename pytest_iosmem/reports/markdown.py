"""The Markdown summary: for a pull request comment or GitHub's job summary.

Failures first, each with its message and, when attribution ran, the classes
that grew; then one table of every gated test.  Test names and messages are
escaped for Markdown tables and code spans.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..results import verdict_label
from ..units import format_size

__all__ = ["render", "write"]


def _cell(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "\\`")


def _delta(r: dict) -> str:
    base, end = r.get("baseline"), (r.get("metrics") or {}).get("end")
    if not base or end is None:
        return "no baseline"
    d = end - base["end"]
    pct = f" ({d / base['end'] * 100:+.1f}%)" if base["end"] else ""
    return format_size(d, signed=True) + pct


def _leak(r: dict) -> str:
    leak = (r.get("metrics") or {}).get("leak")
    if not leak:
        return "-"
    return f"{format_size(leak['per_iteration'], signed=True)} (p={leak['p_value']:.2g})"


def render(document: dict[str, Any]) -> str:
    tests = document.get("tests", [])
    failed = [r for r in tests if r.get("findings")]
    lines = [
        "## iOS memory gates",
        "",
        f"**{len(tests)} gated, {len(failed)} failed**"
        + (" — run interrupted, partial results" if document.get("interrupted") else ""),
        "",
    ]
    if tests:
        p = tests[0].get("profile") or {}
        lines += [f"Profile: `{_cell(p.get('key', '?'))}` ({_cell(p.get('name', ''))})", ""]
    for r in failed:
        lines += [f"### ❌ `{_cell(r['nodeid'])}`", "", "```"]
        lines += [f["message"].replace("```", "'''") for f in r["findings"]]
        lines += ["```", ""]
        rows = r.get("attribution") or []
        if rows:
            lines += ["| class that grew | instances/iter | bytes/iter |", "|---|---:|---:|"]
            for a in rows[:5]:
                lines.append(
                    f"| `{_cell(a['name'])}` | {a['count_per_iteration']:+.1f} | "
                    f"{format_size(a['bytes_per_iteration'], signed=True)} |"
                )
            lines.append("")
    lines += [
        "| test | peak | end | vs baseline | leak/iter | reclaimed | verdict |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in sorted(tests, key=lambda r: 0 if r.get("findings") else 1):
        m = r.get("metrics") or {}
        lines.append(
            f"| `{_cell(r['nodeid'])}` | {format_size(m.get('peak'))} | {format_size(m.get('end'))} | {_delta(r)} "
            f"| {_leak(r)} | {format_size(m.get('reclaimed'))} | {_cell(verdict_label(r))} |"
        )
    notes = [(r["nodeid"], n) for r in tests for n in r.get("notes", [])]
    if notes:
        lines += ["", "<details><summary>Notes</summary>", ""]
        lines += [f"- `{_cell(nodeid)}`: {_cell(n)}" for nodeid, n in notes]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def write(document: dict[str, Any], path: str | Path, append: bool = False) -> None:
    """Atomic write; ``append`` adds to a file others write too ($GITHUB_STEP_SUMMARY)."""
    text = render(document)
    if append:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    else:
        write_atomic(path, text)
