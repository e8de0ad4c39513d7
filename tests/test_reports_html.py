"""The HTML report: self-contained, escaped, charts with what happened; checked in headless Chromium."""

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from pytest_iosmem.reports import charts, html

DATA = Path(__file__).parent / "data" / "reports"
HOSTILE = "test_x[<script>alert(1)</script>]"
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed: apt-get update && apt-get install -y chromium"
)


def load(name):
    return json.loads((DATA / name).read_text())


def svg_text(svg):
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_one_chart_per_test_failures_first():
    doc = load("examples_failures.json")
    page = html.render(doc)
    assert page.count("<svg") == len(doc["tests"]) == 4
    sections = re.findall(r"<section class=test id=t\d+><h2 class=(\w+)>([^<]*)</h2>", page)
    assert [s[0] for s in sections] == ["fail", "fail", "fail", "pass"]
    assert sections[-1][1] == "test_screens.py::test_clean_screen_does_not_leak"


def test_self_contained_no_script_no_network():
    for name in ("examples_failures.json", "local_pass_and_fail.json", "local_interrupted.json"):
        page = html.render(load(name))
        assert "<script" not in page.lower()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched at view time
        assert "@import" not in page and "url(" not in page
        assert "kozea.github.io" not in page  # pygal's CDN tooltip script


def test_hostile_names_are_escaped():
    doc = load("local_pass_and_fail.json")
    doc["tests"][0]["nodeid"] = HOSTILE
    doc["tests"][0]["notes"] = ["<img src=x onerror=alert(1)>"]
    doc["tests"][1]["timeline"]["marks"][0]["label"] = "<b>mark</b>"
    page = html.render(doc)
    assert "<script>alert(1)" not in page and "<img" not in page and "<b>mark" not in page
    assert "test_x[&lt;script&gt;alert(1)&lt;/script&gt;]" in page
    assert "&lt;b&gt;mark&lt;/b&gt;" in page  # pygal escaped the label inside the SVG


def test_chart_draws_marks_warnings_iterations_and_reference_lines():
    result = next(t for t in load("local_pass_and_fail.json")["tests"] if "cache" in t["nodeid"])
    svg, caption = charts.footprint_chart(result)
    texts = svg_text(svg)
    assert {"home", "cache filled", "memory warning 1: gave back 3.0 MB"} <= set(texts)
    legend = [t for t in texts if t.startswith(("footprint", "iteration", "phases", "marks", "memory", "baseline", "allowed"))]
    for title in ("footprint", "iteration ends", "phases", "marks", "memory warnings"):
        assert title in legend
    assert any(t.startswith("baseline end (") for t in texts) and any(t.startswith("baseline peak (") for t in texts)
    assert any(t.startswith("allowed end (baseline + growth)") for t in texts)
    # max_peak=200MB is far above a 9 MB app: left off the chart, said in the caption
    assert caption == ["not drawn, far above the footprint: max peak 200 MB"]


def test_termination_and_jetsam_limit_less_headroom():
    doc = load("examples_failures.json")
    killed = next(t for t in doc["tests"] if "killed" in t["nodeid"])
    svg, _ = charts.footprint_chart(killed)
    assert "terminated: jetsam: per-process-limit" in svg_text(svg)
    assert "jetsam limit (300 MB)" in svg_text(svg)
    killed["policy"]["jetsam_headroom"] = 0.25
    assert [(l.title, l.bytes) for l in charts.reference_lines(killed)][-1] == ("jetsam limit × 75%", 225_000_000)


def test_downsampling_keeps_peaks_and_troughs():
    samples = [[i * 0.01, 1000 + (i % 7)] for i in range(100_000)]
    samples[54_321][1] = 99_999
    samples[77_777][1] = 3
    out = charts.downsample(samples, 2000)
    assert len(out) <= 2000
    assert max(v for _, v in out) == 99_999 and min(v for _, v in out) == 3
    assert [t for t, _ in out] == sorted(t for t, _ in out)
    assert charts.downsample(samples[:10]) == [(s[0], s[1]) for s in samples[:10]]


def test_a_big_timeline_renders_fast():
    doc = load("local_pass_and_fail.json")
    tl = doc["tests"][0]["timeline"]
    tl["samples"] = [[i * 0.04, 9_000_000 + (i * 37 % 500_000)] for i in range(200_000)]  # 2h at 40 ms
    start = time.perf_counter()
    page = html.render(doc)
    assert time.perf_counter() - start < 10
    svg = page[page.index("<svg") : page.index("</svg>")]
    line = re.search(r'<path d="M([^"]+)" class="line reactive', svg).group(1)
    assert len(line.split()) // 2 <= charts.MAX_POINTS  # "x y" pairs
    assert "200000 samples drawn as" in page


def test_interrupted_run_is_announced():
    page = html.render(load("local_interrupted.json"))
    assert "The run was interrupted" in page and "1 interrupted" in page
    assert page.count("<svg") == 3


def test_no_samples_no_chart():
    doc = load("local_pass_and_fail.json")
    doc["tests"][0]["timeline"]["samples"] = []
    page = html.render(doc)
    assert page.count("<svg") == 1 and "no footprint samples were taken" in page


def chromium(*args, tmp_path, timeout=120):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'chromium-profile'}"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=timeout)


def check_in_chromium(page: Path, tmp_path: Path, tests: int, hostile: str | None = None) -> Path:
    """Render ``page`` in headless Chromium: the DOM has one chart per test with a drawn footprint
    line, a hostile name is text, not markup; returns the screenshot's path."""
    dom = chromium("--dump-dom", page.as_uri(), tmp_path=tmp_path).stdout
    assert dom.count("<svg") == tests, dom[:2000]
    assert len(re.findall(r'<path d="M[^"]+" class="line reactive', dom)) >= tests  # the footprint curves
    assert "<script" not in dom
    if hostile:
        assert html_escape(hostile) in dom and hostile not in dom
    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,2000", "--hide-scrollbars", page.as_uri(), tmp_path=tmp_path)
    assert shot.stat().st_size > 20_000  # a blank page is a few KB
    print(f"screenshot of the HTML report: {shot}")
    return shot


def html_escape(s):
    import html as _h

    return _h.escape(s, quote=False)


@pytest.mark.slow
@needs_chromium
def test_html_report_renders_in_headless_chromium(tmp_path):
    doc = load("examples_failures.json")
    doc["tests"][0]["nodeid"] = HOSTILE
    page = tmp_path / "report.html"
    html.write(doc, page)
    check_in_chromium(page, tmp_path, tests=4, hostile=HOSTILE)
