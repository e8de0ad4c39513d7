"""A test's memory history as an inline SVG chart (pygal), and the standalone trend page.

Both read the serialised form :func:`pytest_iosmem.history.gate.history_of` makes (a result's
``history`` field in the JSON report): the recorded values of one metric, oldest first, with
their commits, and the change points.  The chart draws the values, the level of each segment
between change points (a step line), and labels each step with its size, so a creep made of
small steps reads as a staircase.  Like :mod:`.charts`, the SVG runs no script.
"""

from __future__ import annotations

import html
from typing import Any, Sequence

from ..history.creep import levels
from ..units import format_size
from .charts import _SCRIPT

__all__ = ["history_chart", "trend_page"]


def _mb(v: float) -> float:
    return round(v / 1e6, 3)


def history_chart(history: dict[str, Any]) -> str:
    """The SVG of one test's history; "" when fewer than two runs are recorded."""
    import pygal
    from pygal.style import Style

    points = history.get("points") or []
    if len(points) < 2:
        return ""
    values = [float(p["value"]) for p in points]
    cps = [int(c) for c in history.get("change_points") or [] if 0 < int(c) < len(values)]
    level = levels(values, cps)
    steps = []
    for c in cps:
        size = level[c] - level[c - 1]
        steps.append({"value": (c, _mb(values[c])), "label": f"{format_size(size, signed=True)} at "
                      f"{(points[c].get('commit') or '?')[:10]}"})
    style = Style(background="white", plot_background="white", font_family="Helvetica, Arial, sans-serif",
                  colors=("#0a60ff", "#8e8e93", "#d70015"), value_font_size=11, label_font_size=11,
                  guide_stroke_color="#d8d8dc", major_guide_stroke_color="#c7c7cc")
    chart = pygal.XY(
        width=1000, height=320, style=style, js=[], explicit_size=False, disable_xml_declaration=True,
        x_title="recorded run (oldest first)", y_title=f"{history.get('metric', 'end')} footprint (MB)",
        legend_at_bottom=True, legend_at_bottom_columns=3, print_labels=True, show_dots=True, truncate_label=-1,
    )
    chart.add("recorded", [(i, _mb(v)) for i, v in enumerate(values)], dots_size=3)
    chart.add("level between change points", [(i, _mb(v)) for i, v in enumerate(level)], show_dots=False,
              stroke_style={"width": 2, "dasharray": "6, 4"})
    chart.add("change points", steps, stroke=False, dots_size=6)
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def trend_page(histories: Sequence[dict[str, Any]], title: str = "iOS memory history") -> str:
    """One self-contained page: per test and profile, its history chart and its steps."""
    sections = []
    for h in histories:
        points = h.get("points") or []
        name = f"{h.get('nodeid', '?')} · {h.get('profile', '?')}"
        last = format_size(points[-1]["value"]) if points else "-"
        first = format_size(points[0]["value"]) if points else "-"
        svg = history_chart(h)
        sections.append(
            f"<section><h2>{html.escape(name)}</h2><p>{len(points)} runs · first {first} · last {last} · "
            f"{len(h.get('change_points') or [])} change points</p>"
            + (f"<div class=chart>{svg}</div>" if svg else "<p class=muted>fewer than two runs</p>")
            + "</section>"
        )
    css = ("body{font-family:Helvetica,Arial,sans-serif;margin:2em;max-width:1100px}.muted{color:#6e6e73}"
           ".chart svg{width:100%;height:auto;display:block}h2{font-size:1.05em;font-family:monospace}")
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{css}</style></head><body><h1>{html.escape(title)}</h1>"
            + ("".join(sections) or "<p class=muted>The history is empty.</p>") + "</body></html>\n")
