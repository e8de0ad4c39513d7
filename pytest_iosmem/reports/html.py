"""One self-contained HTML page: per test, a footprint chart, findings, attribution.

Charts are pygal SVG inlined in the page (no script, no font, no network at
view time: pygal's default CDN script is switched off).  The chart draws the
footprint samples, iteration ends, marks, memory warnings and a termination
as series, and the baseline and limits as horizontal lines.  Every string
from a test or the app is escaped (``html.escape``; pygal escapes SVG text).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..results import verdict_label
from ..units import format_size

__all__ = ["render", "write", "MAX_POINTS"]

MAX_POINTS = 2000
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)

_CSS = """
body{font:14px/1.4 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em;color:#1d1d1f;max-width:1100px}
h1{font-size:1.6em}h2{font-size:1.15em;margin-top:2em;word-break:break-all}
.fail{color:#b00020}.pass{color:#1b7f3b}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap}
.chart svg{width:100%;height:auto}
.notes{color:#555}
"""


def downsample(samples: list[list[float]], limit: int = MAX_POINTS) -> list[tuple[float, int]]:
    """At most ``limit`` points, keeping each bucket's min and max so no peak is lost."""
    if len(samples) <= limit:
        return [(float(t), int(v)) for t, v in samples]
    bucket = -(-len(samples) // (limit // 2))
    out: list[tuple[float, int]] = []
    for i in range(0, len(samples), bucket):
        chunk = samples[i : i + bucket]
        lo = min(chunk, key=lambda s: s[1])
        hi = max(chunk, key=lambda s: s[1])
        for t, v in sorted({(lo[0], lo[1]), (hi[0], hi[1])}):
            out.append((float(t), int(v)))
    return out


def _mb(v: float) -> float:
    return round(v / 1e6, 3)


def chart_svg(result: dict[str, Any]) -> str:
    import pygal
    from pygal.style import Style

    tl = result.get("timeline") or {}
    samples = downsample(tl.get("samples") or [])
    if not samples:
        return "<p>(no samples)</p>"
    t_end = samples[-1][0] or 1.0
    style = Style(background="white", plot_background="white", font_family="Helvetica, Arial, sans-serif",
                  colors=("#0a60ff", "#7b2ff7", "#ff9500", "#34c759", "#ff2d55", "#8e8e93", "#b00020", "#5856d6"))
    chart = pygal.XY(
        width=1000, height=440, style=style, js=[], show_dots=False, x_title="seconds", y_title="footprint (MB)",
        legend_at_bottom=True, legend_at_bottom_columns=4, truncate_legend=40, dynamic_print_values=False,
        explicit_size=False, disable_xml_declaration=True,
    )
    chart.add("footprint", [(round(t, 3), _mb(v)) for t, v in samples])
    iters = tl.get("iterations") or []
    if iters:
        chart.add("iteration ends", [(round(i["t"], 3), _mb(i["footprint"])) for i in iters],
                  stroke=False, show_dots=True, dots_size=4)
    top = max(v for _, v in samples)
    marks = tl.get("marks") or []
    if marks:
        chart.add("marks", [{"value": (round(m["t"], 3), _mb(top)), "label": m["label"]} for m in marks],
                  stroke=False, show_dots=True, dots_size=5)
    warnings = [e for e in tl.get("events") or [] if e["kind"] == "memory_warning"]
    if warnings:
        chart.add("memory warnings", [(round(e["t"], 3), _mb(e["data"].get("before", top))) for e in warnings],
                  stroke=False, show_dots=True, dots_size=7)
    deaths = [e for e in tl.get("events") or [] if e["kind"] == "terminated"]
    if deaths:
        chart.add("terminated", [{"value": (round(e["t"], 3), _mb(e["data"].get("last_footprint") or samples[-1][1])),
                                  "label": e["detail"]} for e in deaths], stroke=False, show_dots=True, dots_size=8)

    def hline(title: str, value: float | None) -> None:
        # A limit far above the footprint would flatten the curve it is there to judge.
        if value and value <= 2 * top:
            chart.add(title, [(0, _mb(value)), (round(t_end, 3), _mb(value))], show_dots=False,
                      stroke_style={"dasharray": "6, 4"})

    base = result.get("baseline") or {}
    hline("baseline end", base.get("end"))
    policy = result.get("policy") or {}
    hline("max peak", policy.get("max_peak"))
    jl = result.get("jetsam_limit")
    if jl:
        headroom = policy.get("jetsam_headroom")
        hline("jetsam limit" if not headroom else f"{(1 - headroom) * 100:g}% of jetsam limit",
              jl["bytes"] * (1 - (headroom or 0)))
    # pygal still inlines a small config script for its tooltips; with no tooltip
    # script loaded it does nothing, and a report without any script opens anywhere.
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def _phases(result: dict[str, Any]) -> str:
    phases = (result.get("timeline") or {}).get("phases") or []
    if not phases:
        return ""
    def row(p: dict[str, Any]) -> str:
        end = "" if p["end"] is None else f"{p['end']:.2f}"
        return f"<tr><td>{html.escape(p['name'])}</td><td class=n>{p['start']:.2f}</td><td class=n>{end}</td></tr>"

    cells = "".join(row(p) for p in phases[:50])
    more = f"<p class=notes>{len(phases) - 50} more phases</p>" if len(phases) > 50 else ""
    return f"<details><summary>phases</summary><table><tr><th>phase</th><th>start s</th><th>end s</th></tr>{cells}</table>{more}</details>"


def _test_section(result: dict[str, Any]) -> str:
    m = result.get("metrics") or {}
    failed = bool(result.get("findings"))
    parts = [
        f"<section class=test><h2 class={'fail' if failed else 'pass'}>{html.escape(result['nodeid'])}</h2>",
        f"<p><b>{html.escape(verdict_label(result))}</b> — peak {format_size(m.get('peak'))}, "
        f"end {format_size(m.get('end'))}, {m.get('samples', 0)} samples over {m.get('duration', 0):.1f}s</p>",
    ]
    if failed:
        msgs = "\n".join(f["message"] for f in result["findings"])
        parts.append(f"<pre class=fail>{html.escape(msgs)}</pre>")
    parts.append(f"<div class=chart>{chart_svg(result)}</div>")
    rows = result.get("attribution") or []
    if rows:
        cells = "".join(
            f"<tr><td>{html.escape(r['name'])}</td><td class=n>{r['count_per_iteration']:+.1f}</td>"
            f"<td class=n>{html.escape(format_size(r['bytes_per_iteration'], signed=True))}</td></tr>"
            for r in rows
        )
        parts.append(f"<table><tr><th>class that grew</th><th>instances/iter</th><th>bytes/iter</th></tr>{cells}</table>")
    notes = result.get("notes") or []
    if notes:
        parts.append("<ul class=notes>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    parts.append(_phases(result))
    parts.append("</section>")
    return "\n".join(parts)


def render(document: dict[str, Any]) -> str:
    tests = sorted(document.get("tests", []), key=lambda r: 0 if r.get("findings") else 1)
    failed = sum(1 for r in tests if r.get("findings"))
    profile = (tests[0].get("profile") or {}).get("key", "") if tests else ""
    head = (
        f"<h1>iOS memory gates</h1><p>{len(tests)} gated, <span class={'fail' if failed else 'pass'}>{failed} failed</span>"
        f"{' — run interrupted, partial results' if document.get('interrupted') else ''}"
        f" · profile <code>{html.escape(profile)}</code> · {html.escape(str(document.get('created', '')))}</p>"
    )
    body = "\n".join(_test_section(r) for r in tests)
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>iOS memory gates</title><style>{_CSS}</style></head><body>{head}{body}</body></html>\n"
    )


def write(document: dict[str, Any], path: str | Path) -> None:
    write_atomic(path, render(document))
