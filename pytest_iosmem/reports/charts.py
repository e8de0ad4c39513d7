"""The footprint timeline of one test as an inline SVG chart (pygal).

Why pygal: it writes plain SVG from Python with no browser-side code, so the
HTML report stays one self-contained file.  Its default tooltip script comes
from a CDN; that is switched off (``js=[]``) and the small config script it
still inlines is removed, so the page runs no script at all.  Labels that a
tooltip would show (mark names, warnings, the termination) are printed on
the chart instead (``print_labels``).

What the chart draws, in data units of seconds and MB:

- the footprint samples, downsampled to at most :data:`MAX_POINTS` with each
  bucket's min and max kept (a peak is never averaged away);
- iteration ends (the settled footprint the leak test reads);
- phases as a band of segments under the curve;
- marks, memory warnings and a termination as labelled vertical lines;
- reference lines: baseline end and peak, the growth allowance, ``max_peak``
  and the jetsam limit less the headroom.  A line far above the footprint
  would squash the curve it is there to judge, so it is left off the chart
  and listed in :func:`footprint_chart`'s caption instead.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Sequence

from ..units import format_size

__all__ = ["MAX_POINTS", "downsample", "RefLine", "reference_lines", "footprint_chart", "ab_chart"]

MAX_POINTS = 2000
#: a reference line is drawn only up to this multiple of the highest footprint
OFF_CHART_FACTOR = 2.0
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
_MAX_PHASE_LABELS = 12
#: phases the fixture opens for each iteration: iteration ends already show them
_AUTO_PHASE = re.compile(r"^(iteration|warm-up) \d+$")
_LABEL = re.compile(r'<text x="([0-9.]+)" y="([0-9.]+)" class="label">([^<]*)</text>')
_CHAR_WIDTH = 6.5  # px per character at value_font_size 11, a generous estimate
_WIDTH = 1000
#: reference line colours by the first word of their title
_LINE_COLORS = (("baseline end", "#8e8e93"), ("baseline peak", "#3a3a3c"), ("allowed", "#30b0c7"),
                ("max peak", "#ff2d55"), ("jetsam", "#b00020"))


def downsample(samples: Sequence[Sequence[float]], limit: int = MAX_POINTS) -> list[tuple[float, int]]:
    """At most ``limit`` points, keeping each bucket's min and max so no peak is lost."""
    if len(samples) <= limit:
        return [(float(t), int(v)) for t, v in samples]
    bucket = -(-len(samples) // max(1, limit // 2))
    out: list[tuple[float, int]] = []
    for i in range(0, len(samples), bucket):
        chunk = samples[i : i + bucket]
        lo = min(chunk, key=lambda s: s[1])
        hi = max(chunk, key=lambda s: s[1])
        for t, v in sorted({(float(lo[0]), int(lo[1])), (float(hi[0]), int(hi[1]))}):
            out.append((t, v))
    return out


@dataclass(frozen=True)
class RefLine:
    """A horizontal line at a number of bytes: a baseline or a limit."""

    title: str
    bytes: int


def reference_lines(result: dict[str, Any]) -> list[RefLine]:
    """Baseline and limit lines of one result, in the order the legend shows them."""
    lines: list[RefLine] = []
    base = result.get("baseline") or {}
    policy = result.get("policy") or {}
    if base.get("end") is not None:
        lines.append(RefLine("baseline end", int(base["end"])))
        growth = policy.get("max_growth")
        if growth:
            from ..units import Tolerance
            from ..verdict.policy import allowance

            allowed = allowance(Tolerance(growth.get("fraction"), growth.get("bytes")),
                                int(policy.get("noise_floor") or 0), base["end"])
            lines.append(RefLine("allowed end (baseline + growth)", int(base["end"]) + allowed))
    if base.get("peak") is not None:
        lines.append(RefLine("baseline peak", int(base["peak"])))
    if policy.get("max_peak") is not None:
        lines.append(RefLine("max peak", int(policy["max_peak"])))
    jl = result.get("jetsam_limit")
    if jl and jl.get("bytes"):
        headroom = policy.get("jetsam_headroom")
        if headroom:
            lines.append(RefLine(f"jetsam limit × {(1 - headroom) * 100:g}%", int(jl["bytes"] * (1 - headroom))))
        else:
            lines.append(RefLine("jetsam limit", int(jl["bytes"])))
    return lines


def _mb(v: float) -> float:
    return round(v / 1e6, 3)


def _vertical(at: Sequence[tuple[float, str]], lo: float, hi: float) -> list[Any]:
    """One interrupted series of vertical lines from ``lo`` to ``hi``, labelled at the top."""
    values: list[Any] = []
    for t, label in at:
        if values:
            values.append((None, None))
        values += [(round(t, 3), lo), {"value": (round(t, 3), hi), "label": label}]
    return values


def _phase_band(phases: Sequence[dict[str, Any]], t_end: float, y: float) -> list[Any]:
    """Phases as segments at height ``y``; a user's phase is labelled once, per-iteration ones are not."""
    values: list[Any] = []
    labelled: set[str] = set()
    for p in phases:
        end = p["end"] if p.get("end") is not None else t_end
        start_point: Any = (round(p["start"], 3), y)
        if not _AUTO_PHASE.match(p["name"]) and p["name"] not in labelled and len(labelled) < _MAX_PHASE_LABELS:
            labelled.add(p["name"])
            start_point = {"value": start_point, "label": p["name"]}
        values += [start_point, (round(max(end, p["start"]), 3), y), (None, None)]
    return values[:-1]


def footprint_chart(result: dict[str, Any]) -> tuple[str, list[str]]:
    """The SVG chart of one result and the caption lines (reference lines left off, events not drawn).

    Returns ``("", [reason])`` when the test has no samples to draw.
    """
    tl = result.get("timeline") or {}
    samples = downsample(tl.get("samples") or [])
    if not samples:
        return "", ["no footprint samples were taken"]
    caption: list[str] = []
    top = max(v for _, v in samples)
    bottom = min(v for _, v in samples)
    events = tl.get("events") or []
    moments = [samples[-1][0]] + [float(x["t"]) for x in (tl.get("marks") or []) + events + (tl.get("iterations") or [])]
    t_end = max(max(moments) * 1.01, 1e-3)

    drawn, off = [], []
    for line in reference_lines(result):
        (drawn if line.bytes <= OFF_CHART_FACTOR * max(top, 1) else off).append(line)
    caption += [f"not drawn, far above the footprint: {l.title} {format_size(l.bytes)}" for l in off]

    hi = max([top] + [l.bytes for l in drawn])
    span = max(hi - bottom, 1)
    y_top, y_floor = _mb(hi + 0.06 * span), _mb(max(0, bottom - 0.12 * span))
    y_band = _mb(max(0, bottom - 0.06 * span))

    series: list[tuple[str, str, list[Any], dict[str, Any]]] = []  # (title, colour, values, options)

    def add(title: str, color: str, values: list[Any], **options: Any) -> None:
        series.append((title, color, values, options))

    add("footprint", "#0a60ff", [(round(t, 3), _mb(v)) for t, v in samples], stroke_style={"width": 2})
    iters = tl.get("iterations") or []
    if iters:
        add("iteration ends", "#1b9e4b", [(round(i["t"], 3), _mb(i["footprint"])) for i in iters],
            stroke=False, show_dots=True, dots_size=4)
    phases = [p for p in tl.get("phases") or [] if p.get("start") is not None]
    if phases:
        add("phases", "#af52de", _phase_band(phases, t_end, y_band), show_dots=True, dots_size=1.5,
            stroke_style={"width": 6})
    marks = tl.get("marks") or []
    if marks:
        add("marks", "#636366", _vertical([(m["t"], m["label"]) for m in marks], y_floor, y_top),
            show_dots=True, dots_size=2, stroke_style={"width": 1, "dasharray": "2, 3"})
    warnings = [e for e in events if e.get("kind") == "memory_warning"]
    if warnings:
        at = []
        for n, e in enumerate(warnings, 1):
            reclaimed = (e.get("data") or {}).get("reclaimed")
            gave = "" if reclaimed is None else f": gave back {format_size(reclaimed)}"
            at.append((e["t"], f"memory warning {n}{gave}"))
        add("memory warnings", "#ff9500", _vertical(at, y_floor, y_top), show_dots=True, dots_size=3,
            stroke_style={"width": 2})
    deaths = [e for e in events if e.get("kind") == "terminated"]
    if deaths:
        add("terminated", "#d70015", _vertical([(e["t"], f"terminated: {e.get('detail') or ''}") for e in deaths],
                                               y_floor, y_top), show_dots=True, dots_size=4, stroke_style={"width": 3})
    failures = [e for e in events if e.get("kind") == "read_failed"]
    if failures:
        caption.append(f"{len(failures)} footprint read failure(s); see the events below")
    for line in drawn:
        add(f"{line.title} ({format_size(line.bytes)})", next((c for k, c in _LINE_COLORS if line.title.startswith(k)), "#5e5ce6"),
            [(0, _mb(line.bytes)), (round(t_end, 3), _mb(line.bytes))],
            show_dots=False, stroke_style={"width": 1.5, "dasharray": "8, 5"})
    if len(tl.get("samples") or []) > len(samples):
        caption.append(f"{len(tl['samples'])} samples drawn as {len(samples)} points (min and max of each bucket kept)")

    svg = _render(series, x_title="seconds since the test started", range_=(y_floor, y_top), xrange=(0, round(t_end, 3)))
    return svg, caption


def _render(series: list[tuple[str, str, list[Any], dict[str, Any]]], x_title: str, range_: tuple[float, float],
            xrange: tuple[float, float]) -> str:
    """An XY chart of ``(title, colour, values, options)`` series as script-free inline SVG."""
    import pygal
    from pygal.style import Style

    style = Style(background="white", plot_background="white", font_family="Helvetica, Arial, sans-serif",
                  colors=tuple(c for _, c, _, _ in series), label_font_size=12, major_label_font_size=12,
                  value_font_size=11, legend_font_size=13, title_font_size=14, guide_stroke_color="#d8d8dc",
                  major_guide_stroke_color="#c7c7cc", guide_stroke_dasharray="1,0", major_guide_stroke_dasharray="1,0")
    rows = -(-len(series) // 3)
    chart = pygal.XY(
        width=_WIDTH, height=440 + 26 * rows, style=style,
        # pygal reserves len(series) // columns legend rows (floor, not ceil): make up the difference.
        margin_bottom=20 + 24 * (rows - len(series) // 3), js=[], show_dots=False,
        x_title=x_title, y_title="footprint (MB)", legend_at_bottom=True,
        legend_at_bottom_columns=3, truncate_legend=-1, print_labels=True, explicit_size=False,
        disable_xml_declaration=True, range=range_, xrange=xrange,
        allow_interruptions=True, truncate_label=-1,
    )
    for title, _, values, options in series:
        chart.add(title, values, **options)
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    return _LABEL.sub(_keep_label_inside, svg)


def ab_chart(result: dict[str, Any], metric: str = "end") -> tuple[str, list[str]]:
    """An A/B test's two builds side by side: ``metric`` of every base and head trial by pair, the
    interval of head − base and the limit drawn on the base's median (``("", [why])`` when none)."""
    ab = result.get("ab") or {}
    row = (ab.get("metrics") or {}).get(metric)
    trials = [t for t in ab.get("trials") or [] if t.get(metric) is not None]
    if not trials or not row:
        return "", [f"no A/B {metric} footprints to draw"]
    pairs = max(int(t["pair"]) for t in trials) + 1
    base_median = float(row["base"])
    series: list[tuple[str, str, list[Any], dict[str, Any]]] = []
    for build, color in (("base", "#8e8e93"), ("head", "#0a60ff")):
        values = [(int(t["pair"]) + 1, _mb(t[metric])) for t in trials if t["build"] == build]
        series.append((f"{build} {metric} footprint", color, values, {"show_dots": True, "dots_size": 4,
                                                                     "stroke_style": {"width": 2}}))
    x0, x1 = 0.5, pairs + 0.5
    levels = [float(t[metric]) for t in trials]
    caption = [f"each pair is one base and one head trial ({ab.get('order', 'ABBA')} order); the lines are drawn on "
               f"the base's median {format_size(base_median)}"]
    if row.get("low") is not None and row.get("high") is not None:
        lo, hi = base_median + row["low"], base_median + row["high"]
        conf = f"{float(ab.get('confidence', 0.95)) * 100:g}%"
        series.append((f"{conf} interval of head − base [{format_size(row['low'], signed=True)}, "
                       f"{format_size(row['high'], signed=True)}]", "#1b9e4b",
                       [(x0, _mb(lo)), (x1, _mb(lo)), (None, None), (x0, _mb(hi)), (x1, _mb(hi))],
                       {"show_dots": False, "stroke_style": {"width": 1.5, "dasharray": "3, 3"}}))
        levels += [lo, hi]
    if row.get("limit") is not None:
        allowed = base_median + row["limit"]
        if allowed <= OFF_CHART_FACTOR * max(levels):
            series.append((f"limit: base + {format_size(row['limit'])}", "#ff2d55", [(x0, _mb(allowed)), (x1, _mb(allowed))],
                           {"show_dots": False, "stroke_style": {"width": 1.5, "dasharray": "8, 5"}}))
            levels.append(allowed)
        else:
            caption.append(f"not drawn, far above the footprints: the limit, base + {format_size(row['limit'])}")
    top, bottom = max(levels), min(levels)
    span = max(top - bottom, 1)
    svg = _render(series, x_title="pair", range_=(_mb(max(0, bottom - 0.1 * span)), _mb(top + 0.1 * span)),
                  xrange=(x0, x1))
    return svg, caption


def _keep_label_inside(m: re.Match[str]) -> str:
    """pygal prints a label to the right of its point; near the right edge it would be cut off."""
    x = float(m.group(1))
    if x + len(html.unescape(m.group(3))) * _CHAR_WIDTH < _WIDTH - 30:
        return m.group(0)
    return f'<text x="{x - 16:.1f}" y="{m.group(2)}" class="label" text-anchor="end">{m.group(3)}</text>'
