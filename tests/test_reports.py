"""Reports on passing, failing, xdist and interrupted runs; schema; HTML in a real browser."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from pytest_iosmem.reports import html, json_report, markdown

from .helpers import inner_conftest, memapp_command

SCHEMA = json.loads((Path(json_report.__file__).parents[1] / "schemas" / "report-v1.json").read_text())
RECORDED = Path(__file__).parent / "data" / "reports" / "examples_failures.json"

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test app's readiness check reads /proc")

SUITE = """
import pytest

@pytest.mark.iosmem(leak_per_iteration="100KB")
def test_leaks(iosmem, visit):
    for _ in iosmem.iterations(5, warmup=1):
        visit()

@pytest.mark.parametrize("name", ["plain", "<script>alert(1)</script>|`x`"])
def test_clean(iosmem, visit, name):
    iosmem.mark(f"mark {name}")
    for _ in iosmem.iterations(4, warmup=0):
        pass
"""


def run_suite(pytester, *args, leak="300000"):
    pytester.makeconftest(inner_conftest())
    pytester.makepyfile(test_suite=SUITE)
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--iosmem-app={memapp_command('--leak', leak)}",
        "--iosmem-json=r.json", "--iosmem-markdown=r.md", "--iosmem-html=r.html", *args,
    )


def test_recorded_report_matches_the_schema():
    doc = json.loads(RECORDED.read_text())
    jsonschema.validate(doc, SCHEMA)
    broken = json.loads(RECORDED.read_text())
    broken["tests"][0]["findings"][0]["kind"] = "bloat"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


@linux_only
@pytest.mark.parametrize("xdist", [False, True])
def test_reports_of_a_failing_run_serial_and_xdist(pytester, xdist):
    if xdist:
        pytest.importorskip("xdist")
    res = run_suite(pytester, *(["-n", "2"] if xdist else []))
    res.assert_outcomes(passed=2, failed=1)
    doc = json.loads((pytester.path / "r.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["summary"] == {"tests": 3, "failed": 1}
    assert {t["nodeid"] for t in doc["tests"]} == {
        "test_suite.py::test_leaks", "test_suite.py::test_clean[plain]",
        "test_suite.py::test_clean[<script>alert(1)</script>|`x`]",
    }
    md = (pytester.path / "r.md").read_text()
    assert md.index("### ❌ `test_suite.py::test_leaks`") < md.index("| test | peak |")
    assert "leak: +" in md and "\\|\\`x\\`" in md
    page = (pytester.path / "r.html").read_text()
    assert page.count("<svg") == 3 and "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@linux_only
def test_passing_run_reports(pytester):
    res = run_suite(pytester, "-k", "clean")
    res.assert_outcomes(passed=2, deselected=1)
    doc = json.loads((pytester.path / "r.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["summary"]["failed"] == 0
    assert "**2 gated, 0 failed**" in (pytester.path / "r.md").read_text()


def test_markdown_goes_to_the_github_step_summary_by_default(pytester, monkeypatch):
    summary = pytester.path / "step_summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    pytester.makeconftest(inner_conftest())
    pytester.makepyfile(test_one="def test_x(iosmem):\n    pass\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--iosmem-app={memapp_command()}").assert_outcomes(passed=1)
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "## iOS memory gates" in text  # appended, not replaced


def test_downsampling_keeps_the_peak():
    samples = [[i * 0.01, 1000] for i in range(100_000)]
    samples[54_321][1] = 99_999
    out = html.downsample(samples, 2000)
    assert len(out) <= 2000 and max(v for _, v in out) == 99_999


def test_interrupted_flag_in_every_report():
    doc = json_report.build_document(json.loads(RECORDED.read_text())["tests"], interrupted=True)
    assert "run interrupted" in markdown.render(doc) and "run interrupted" in html.render(doc)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_html_report_renders_in_headless_chromium(tmp_path):
    doc = json.loads(RECORDED.read_text())
    doc["tests"][0]["nodeid"] = "test_x[<img src=x onerror=alert(1)>]"
    page = tmp_path / "report.html"
    html.write(doc, page)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(["chromium", *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert dom.count("<svg") == len(doc["tests"])
    assert "<img" not in dom and "&lt;img src=x onerror=alert(1)&gt;" in dom
    assert re.search(r"<path[^>]+class=\"line reactive", dom)  # the footprint curve was drawn
    shot = tmp_path / "report.png"
    subprocess.run(["chromium", *flags, f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.stat().st_size > 20_000
    print(f"screenshot of the HTML report: {shot}")
