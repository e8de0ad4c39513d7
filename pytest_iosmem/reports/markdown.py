"""The Markdown summary: for a pull request comment or GitHub's job summary.

Written for the person whose pull request the gate stopped: the headline
first, then each failure with its message and the classes that grew, then
one table of every gated test (peak, change against the baseline, leak per
iteration with its p-value, reclaim, verdict), notes and the profile.

Test names, messages and notes come from users and apps, so they are
escaped for where they go (GitHub-flavoured Markdown):

- in a code span, a backtick cannot be escaped with a backslash: the span
  gets a longer backtick fence instead (:func:`code_span`);
- in a table cell, a ``|`` ends the cell even inside a code span; GFM's
  ``\\|`` is the one escape that works there;
- in plain text, Markdown and HTML punctuation is backslash-escaped
  (:func:`text`), so a note cannot open a tag or a link;
- code blocks get a fence longer than any backtick run in the message.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable

from ..atomic import write_atomic
from ..results import inconclusive_checks, is_failure, verdict_label
from ..units import format_size
from .common import (
    AB_HEADERS, ab_heading, ab_launched, ab_rows, borrowed_baselines, versus, headline_counts, hosts, leak_text, ordered,
)

__all__ = ["render", "write", "code_span", "code_block", "text", "TOP_CLASSES"]

#: grown classes listed per failing test
TOP_CLASSES = 5
#: characters that could start emphasis, code, a link, an HTML tag, an entity or end a table cell
_TEXT_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def code_span(value: Any, in_table: bool = True) -> str:
    """``value`` as one inline code span, whatever backticks or pipes it holds."""
    s = " ".join(str(value).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    if s.startswith("`") or s.endswith("`") or (s.startswith(" ") and s.endswith(" ") and s.strip()):
        s = f" {s} "
    if in_table:
        s = s.replace("|", "\\|")
    return f"{fence}{s}{fence}"


def text(value: Any) -> str:
    """Plain text with Markdown/HTML punctuation escaped; one line (safe in a table cell)."""
    return _TEXT_SPECIAL.sub(r"\\\1", " ".join(str(value).splitlines()))


def code_block(lines: Iterable[str]) -> list[str]:
    """A fenced code block whose fence no line of ``lines`` can close."""
    body = "\n".join(lines).splitlines() or [""]
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *body, fence]


def _failure(r: dict[str, Any]) -> list[str]:
    lines = [f"### ❌ {code_span(r.get('nodeid', '?'), in_table=False)}", ""]
    if r.get("host") and r.get("artifacts"):
        lines += [f"Files saved on host {code_span(r['host'], in_table=False)}.", ""]
    lines += code_block(f.get("message", "") for f in r["findings"])
    lines.append("")
    rows = sorted(r.get("attribution") or [], key=lambda a: -(a.get("bytes_per_iteration") or 0))
    if rows:
        lines += ["| class that grew | instances/iter | bytes/iter | instances |", "|---|---:|---:|---:|"]
        for a in rows[:TOP_CLASSES]:
            lines.append(
                f"| {code_span(a.get('name', '?'))} | {a.get('count_per_iteration', 0):+.1f} | "
                f"{format_size(a.get('bytes_per_iteration'), signed=True)} | "
                f"{a.get('count_before', '-')} → {a.get('count_after', '-')} |"
            )
        if len(rows) > TOP_CLASSES:
            lines.append(f"\n{len(rows) - TOP_CLASSES} more classes grew; see the HTML or JSON report.")
        lines.append("")
    lines += _stacks(r)
    return lines


def _stacks(r: dict[str, Any]) -> list[str]:
    """Grown allocation stacks, folded in a ``<details>``: site first, then its callers."""
    from ..attribution.stacks import caller_tree

    rows = r.get("stacks") or []
    if not rows:
        return []
    out = ["<details><summary>allocation stacks that grew (site first, then callers)</summary>", ""]

    def walk(nodes, depth: int) -> None:
        for n in nodes:
            folded = f", {n.folded} system frames folded" if n.folded else ""
            out.append(f"{'  ' * depth}- {code_span(n.label, in_table=False)} "
                       f"{format_size(n.bytes_per_iteration, signed=True)}/iter, "
                       f"{n.count_per_iteration:+.1f} blocks/iter{folded}")
            walk(n.children, depth + 1)

    walk(caller_tree(rows[:TOP_CLASSES]), 0)
    return out + ["", "</details>", ""]


def _table(tests: list[dict[str, Any]]) -> list[str]:
    by_host = len(hosts(tests)) > 1
    lines = [
        "| test | peak | vs baseline peak | end | vs baseline end | leak/iter | reclaimed | verdict |"
        + (" host |" if by_host else ""),
        "|---|---:|---:|---:|---:|---:|---:|---|" + ("---|" if by_host else ""),
    ]
    for r in tests:
        host = f" {code_span(r.get('host') or '?')} |" if by_host else ""
        m = r.get("metrics") or {}
        lines.append(
            f"| {code_span(r.get('nodeid', '?'))} | {format_size(m.get('peak'))} "
            f"| {versus(r, 'peak')} | {format_size(m.get('end'))} "
            f"| {versus(r, 'end')} | {leak_text(m, r)} | {format_size(m.get('reclaimed'))} "
            f"| {('❌ ' if is_failure(r) else '⚠️ ' if inconclusive_checks(r) else '') + text(verdict_label(r))} |{host}"
        )
    return lines


def _profiles(tests: list[dict[str, Any]]) -> str:
    seen: dict[str, str] = {}
    for r in tests:
        p = r.get("profile") or {}
        seen.setdefault(str(p.get("key", "?")), str(p.get("name", "")))
    return ", ".join(code_span(k, in_table=False) + (f" ({text(n)})" if n else "") for k, n in seen.items())


def render(document: dict[str, Any]) -> str:
    """The summary as Markdown text."""
    tests = ordered(document.get("tests") or [])
    failed = [r for r in tests if is_failure(r)]
    counts = headline_counts(tests)
    headline = f"**{', '.join(counts[:2])}**" + "".join(f", {c}" for c in counts[2:])
    if document.get("interrupted"):
        headline += " — run interrupted, partial results"
    lines = ["## iOS memory gates", "", headline, ""]
    for r in failed:
        lines += _failure(r)
    if tests:
        lines += _table(tests)
    else:
        lines.append("No gated test ran.")
    heading = ab_heading(tests)
    if heading:
        lines += ["", text(heading), ""] + [f"- {text(line)}" for line in ab_launched(tests)]
        lines += ["", "| " + " | ".join(AB_HEADERS) + " |", "|---|---|---:|---:|---:|---|---:|---:|---|"]
        marks = {"finding": "❌ ", "inconclusive": "⚠️ "}
        for row, outcome in ab_rows(tests):
            cells = [code_span(row[0])] + [text(c) for c in row[1:-1]] + [marks.get(outcome, "") + text(row[-1])]
            lines.append("| " + " | ".join(cells) + " |")
    borrowed = borrowed_baselines(tests)
    if borrowed:
        lines += ["", "Baselines from another profile (no exact match for this machine):", ""]
        lines += [f"- {code_span(nodeid, in_table=False)}: {text(t)}" for nodeid, t in borrowed]
    notes = [(r.get("nodeid", "?"), n) for r in tests for n in r.get("notes") or []]
    if notes:
        lines += ["", "<details><summary>Notes</summary>", ""]
        lines += [f"- {code_span(nodeid, in_table=False)}: {text(n)}" for nodeid, n in notes]
        lines += ["", "</details>"]
    if tests:
        ran_on = hosts(tests)
        where = f" · host {code_span(ran_on[0], in_table=False)}" if len(ran_on) == 1 else ""
        lines += ["", f"Profile: {_profiles(tests)}{where} · pytest-iosmem {text(document.get('plugin_version', '?'))}"]
    return "\n".join(lines) + "\n"


def write(document: dict[str, Any], path: str | Path, append: bool = False) -> None:
    """Atomic write; ``append`` adds to a file others write too ($GITHUB_STEP_SUMMARY).

    Appending cannot be atomic; it is one ``write`` call of the whole text, after
    a blank line so the summary does not run into what an earlier step wrote.
    """
    body = render(document)
    if append:
        with open(path, "a", encoding="utf-8") as fh:
            if fh.tell() > 0:
                body = "\n" + body
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
    else:
        write_atomic(path, body)
