"""One self-contained HTML page: per test, a footprint chart, findings, limits, attribution.

The page is opened from a CI artifact, often offline, so it needs nothing at
view time: CSS is inline, charts are inline SVG (see :mod:`.charts`), there is
no script and no web font.  Every string that comes from a test or the app
(test names, messages, notes, class names, mark labels, app commands) is
escaped with ``html.escape``; pygal escapes the text it puts into the SVG.
Failures come first: they are why someone opens the page.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Iterable

from ..atomic import write_atomic
from ..results import is_failure, verdict_label
from ..units import format_size
from .charts import MAX_POINTS, downsample, footprint_chart
from .common import AB_HEADERS, ab_heading, ab_rows, delta, headline_counts, hosts, leak_decision, leak_text, ordered, origin_text, rank

__all__ = ["render", "write", "downsample", "MAX_POINTS"]

_CSS = """
ul.stacks,ul.stacks ul{list-style:none;padding-left:1.1em;margin:.15em 0}ul.stacks summary{cursor:pointer}
body{font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;
 color:#1d1d1f;max-width:1100px;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.15em;margin:0 0 .3em;word-break:break-all}
h3{font-size:1em;margin:1em 0 .3em}
.fail{color:#b00020}.pass{color:#1b7f3b}.other{color:#8a6d00}
.banner{background:#fff4ce;border:1px solid #e0c060;padding:.5em .8em;border-radius:4px}
section.test{border-top:1px solid #ddd;padding-top:1.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;
 vertical-align:top}th{background:#f5f5f7}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
pre{background:#fbeff1;border-left:3px solid #b00020;padding:.6em;white-space:pre-wrap;word-break:break-word}
.chart svg{width:100%;height:auto;display:block}
.caption,.muted{color:#6e6e73;font-size:.92em}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
a{color:#0a60ff;text-decoration:none}
table.summary{width:100%}table.summary td:first-child{word-break:break-all}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _state(result: dict[str, Any]) -> str:
    if result.get("outcome") == "xfailed":
        return "other"
    return ("fail", "other", "pass")[rank(result)]


def _leak(m: dict[str, Any], r: dict[str, Any] | None = None) -> str:
    """The leak estimate with its p-value and the number of iterations it rests on."""
    leak = m.get("leak")
    if not leak:
        return "-"
    if r is not None and leak_decision(r) is not None:
        return leak_text(m, r)
    return f"{format_size(leak['per_iteration'], signed=True)} (p={leak['p_value']:.2g}, n={leak['n']})"


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], numeric: frozenset[int] | set[int] = frozenset(),
           cls: str = "") -> str:
    """A table of already escaped cells; columns in ``numeric`` are right-aligned."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td class=n>{c}</td>" if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table{' class=' + cls if cls else ''}><tr>{head}</tr>{body}</table>"


def _summary(tests: list[dict[str, Any]]) -> str:
    by_host = len(hosts(tests)) > 1
    rows = []
    for i, r in enumerate(tests):
        m = r.get("metrics") or {}
        base = r.get("baseline") or {}
        rows.append([
            f"<a href='#t{i}'><code>{_e(r.get('nodeid', '?'))}</code></a>",
            _e(format_size(m.get("peak"))),
            _e(delta(m.get("peak"), base.get("peak"))),
            _e(format_size(m.get("end"))),
            _e(delta(m.get("end"), base.get("end"))),
            _e(_leak(m, r)),
            _e(format_size(m.get("reclaimed"))),
            f"<span class={_state(r)}>{_e(verdict_label(r))}</span>",
        ] + ([_e(r.get("host") or "?")] if by_host else []))
    return _table(["test", "peak", "peak vs baseline", "end", "end vs baseline", "leak/iteration", "reclaimed",
                   "verdict"] + (["host"] if by_host else []), rows, numeric={1, 2, 3, 4, 5, 6}, cls="summary")


def _limits(r: dict[str, Any]) -> str:
    policy = r.get("policy") or {}
    base = r.get("baseline")
    rows = []
    for key in ("max_peak", "leak_per_iteration", "reclaim_after_warning"):
        if policy.get(key) is not None:
            rows.append([_e(key), _e(format_size(policy[key]))])
    growth = policy.get("max_growth")
    if growth:
        parts = [f"{growth['fraction'] * 100:g}%" if growth.get("fraction") is not None else "",
                 format_size(growth["bytes"]) if growth.get("bytes") is not None else ""]
        rows.append(["max_growth", _e(" or ".join(p for p in parts if p))])
    if policy.get("jetsam_headroom") is not None:
        rows.append(["jetsam_headroom", _e(f"{policy['jetsam_headroom'] * 100:g}%")])
    jl = r.get("jetsam_limit")
    if jl:
        rows.append(["jetsam limit", f"{_e(format_size(jl['bytes']))} <span class=muted>({_e(jl.get('source', ''))})</span>"])
    if base:
        parts = [f"end {format_size(base.get('end'))}", f"peak {format_size(base.get('peak'))}"]
        if base.get("leak_per_iteration") is not None:
            parts.append(f"leak/iteration {format_size(base['leak_per_iteration'], signed=True)}")
        if base.get("reclaimed") is not None:
            parts.append(f"reclaimed {format_size(base['reclaimed'])}")
        rows.append(["baseline", _e(", ".join(parts))])
        source = origin_text(r)
        rows.append(["baseline from", _e(source) if source else "<span class=muted>this profile</span>"])
    else:
        rows.append(["baseline", "<span class=muted>none for this profile</span>"])
    return "<h3>Limits and baseline</h3>" + _table(["what", "value"], rows)


def _attribution(r: dict[str, Any]) -> str:
    rows = r.get("attribution") or []
    if not rows:
        return ""
    cells = [
        [
            f"<code>{_e(a.get('name', '?'))}</code>",
            _e(f"{a.get('count_per_iteration', 0):+.1f}"),
            _e(format_size(a.get("bytes_per_iteration"), signed=True)),
            _e(f"{a.get('count_before', '-')} → {a.get('count_after', '-')}"),
            _e(f"{format_size(a.get('bytes_before'))} → {format_size(a.get('bytes_after'))}"),
        ]
        for a in rows
    ]
    return "<h3>What grew</h3>" + _table(
        ["class", "instances/iteration", "bytes/iteration", "instances", "bytes"], cells, numeric={1, 2, 3, 4}
    )


def _stacks(r: dict[str, Any]) -> str:
    """Grown allocation stacks as a collapsible tree: each site, then its callers (docs/stacks.md)."""
    from ..attribution.stacks import caller_tree

    rows = r.get("stacks") or []
    if not rows:
        return ""

    def node(n, open_: bool) -> str:
        label = (f"<code>{_e(n.label)}</code> <span class=muted>{_e(format_size(n.bytes_per_iteration, signed=True))}"
                 f"/iter, {_e(f'{n.count_per_iteration:+.1f}')} blocks/iter</span>")
        folded = f"<li class=muted>{_e(n.folded)} system frames folded</li>" if n.folded else ""
        if not n.children:
            return f"<li>{label}" + (f"<ul>{folded}</ul>" if folded else "") + "</li>"
        inner = "".join(node(c, False) for c in n.children)
        return (f"<li><details{' open' if open_ else ''}><summary>{label}</summary>"
                f"<ul>{inner}{folded}</ul></details></li>")

    tree = caller_tree(rows)
    return ("<h3>Allocation stacks that grew</h3><p class=muted>allocation site first, then its callers; "
            "system frames folded</p><ul class=stacks>" + "".join(node(n, i == 0) for i, n in enumerate(tree))
            + "</ul>")


def _details(r: dict[str, Any]) -> str:
    tl = r.get("timeline") or {}
    out = []
    events = tl.get("events") or []
    if events:
        rows = [[_e(f"{e.get('t', 0):.2f}"), _e(e.get("kind", "")), _e(e.get("detail", ""))] for e in events[:200]]
        out.append(f"<details><summary>events ({len(events)})</summary>"
                   + _table(["t (s)", "kind", "detail"], rows, numeric={0}) + "</details>")
    iters = tl.get("iterations") or []
    if iters:
        rows = [[_e(i["index"] + 1), _e(f"{i['t']:.2f}"), _e(format_size(i["footprint"])),
                 "warm-up" if i.get("warmup") else "", _e(f"{i.get('settle_seconds', 0):.2f}s"
                                                          + ("" if i.get("settled") else " (not settled)"))]
                for i in iters[:500]]
        out.append(f"<details><summary>iterations ({len(iters)})</summary>"
                   + _table(["#", "t (s)", "settled footprint", "", "settling"], rows, numeric={0, 1, 2}) + "</details>")
    phases = tl.get("phases") or []
    if phases:
        rows = [[_e(p["name"]), _e(f"{p['start']:.2f}"), "" if p.get("end") is None else _e(f"{p['end']:.2f}")]
                for p in phases[:200]]
        out.append(f"<details><summary>phases ({len(phases)})</summary>"
                   + _table(["phase", "start (s)", "end (s)"], rows, numeric={1, 2}) + "</details>")
    artifacts = r.get("artifacts") or []
    if artifacts:
        where = f" <span class=muted>(saved on host {_e(r['host'])})</span>" if r.get("host") else ""
        out.append(f"<h3>Artifacts{where}</h3><ul>" + "".join(f"<li><code>{_e(a)}</code></li>" for a in artifacts) + "</ul>")
    return "".join(out)


def _test_section(r: dict[str, Any], index: int) -> str:
    m = r.get("metrics") or {}
    state = _state(r)
    parts = [
        f"<section class=test id=t{index}><h2 class={state}>{_e(r.get('nodeid', '?'))}</h2>",
        f"<p><b class={state}>{_e(verdict_label(r))}</b> · peak {_e(format_size(m.get('peak')))}"
        f" · end {_e(format_size(m.get('end')))} · leak/iteration {_e(_leak(m, r))}"
        f" · {_e(m.get('samples', 0))} samples over {float(m.get('duration') or 0):.1f}s"
        + (f" · host {_e(r['host'])}" + (f" ({_e(r['worker'])})" if r.get("worker") else "") if r.get("host") else "")
        + "</p>",
    ]
    if r.get("findings"):
        parts.append(f"<pre class={'fail' if is_failure(r) else 'other'}>" + _e("\n".join(f.get("message", "") for f in r["findings"])) + "</pre>")
    if m.get("terminated"):
        parts.append(f"<p class=fail>The app died: {_e(m['terminated'])}</p>")
    svg, caption = footprint_chart(r)
    if svg:
        parts.append(f"<div class=chart>{svg}</div>")
    if caption:
        parts.append("<p class=caption>" + "<br>".join(_e(c) for c in caption) + "</p>")
    if r.get("history"):
        parts.append(_history(r["history"]))
    notes = r.get("notes") or []
    if notes:
        parts.append("<h3>Notes</h3><ul class=muted>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    parts += [_attribution(r), _stacks(r), _limits(r), _details(r), "</section>"]
    return "\n".join(p for p in parts if p)


def _history(history: dict[str, Any]) -> str:
    """The test's memory history across recorded runs (when the run had ``--iosmem-history``)."""
    from .history_chart import history_chart

    svg = history_chart(history)
    runs = len(history.get("points") or [])
    if not svg:
        return f"<h3>History</h3><p class=muted>{runs} recorded run(s): too few to draw</p>"
    return (f"<h3>History</h3><p class=muted>{runs} recorded runs, "
            f"{len(history.get('change_points') or [])} change points</p><div class=chart>{svg}</div>")


def _profiles(tests: list[dict[str, Any]]) -> str:
    seen: dict[str, str] = {}
    for r in tests:
        p = r.get("profile") or {}
        seen.setdefault(str(p.get("key", "?")), str(p.get("name", "")))
    return ", ".join(f"<code>{_e(k)}</code>" + (f" ({_e(n)})" if n else "") for k, n in seen.items())


def render(document: dict[str, Any]) -> str:
    """The whole page as a string."""
    tests = ordered(document.get("tests") or [])
    failed = sum(1 for r in tests if is_failure(r))
    counts = headline_counts(tests)
    head = [
        "<h1>iOS memory gates</h1>",
        f"<p><b>{_e(counts[0])}</b>, <b class={'fail' if failed else 'pass'}>{_e(counts[1])}</b>"
        + "".join(f", <b class=other>{_e(c)}</b>" for c in counts[2:])
        + (f" · profile {_profiles(tests)}" if tests else "") + "</p>",
        f"<p class=muted>pytest-iosmem {_e(document.get('plugin_version', '?'))} · {_e(document.get('created', ''))}"
        f" · report schema {_e(document.get('schema_version', '?'))}</p>",
    ]
    if document.get("interrupted"):
        head.append("<p class=banner>The run was interrupted: these are partial results, what was measured before it stopped.</p>")
    if tests:
        head.append(_summary(tests))
        heading = ab_heading(tests)
        if heading:
            rows = [[f"<code>{_e(r[0])}</code>", *(_e(c) for c in r[1:])] for r in ab_rows(tests)]
            head.append(f"<h2>A/B: head − base</h2><p>{_e(heading)}</p>"
                        + _table(list(AB_HEADERS), rows, numeric={2, 3, 4, 6}, cls="summary"))
    else:
        head.append("<p class=muted>No gated test ran.</p>")
    body = "\n".join(_test_section(r, i) for i, r in enumerate(tests))
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>iOS memory gates: {len(tests)} gated, {failed} failed</title><style>{_CSS}</style></head>"
        f"<body>{''.join(head)}\n{body}</body></html>\n"
    )


def write(document: dict[str, Any], path: str | Path) -> None:
    """Write the page atomically (a half-written report is never left behind)."""
    write_atomic(path, render(document))
