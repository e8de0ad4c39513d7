"""Every report from real pytest runs: passing, failing, under xdist, and interrupted.

The inner runs use tests/apps/memapp.py, a process whose memory really grows
on SIGUSR2; the HTML of the xdist run is also opened in headless Chromium.
"""

import json
import sys

import jsonschema
import pytest

from .helpers import INNER, OWN_WORKERS, inner_conftest, memapp_command
from .test_reports_html import CHROMIUM, HOSTILE, check_in_chromium
from .test_reports_schema import SCHEMA

pytestmark = [
    pytest.mark.slow,  # real pytest runs in subprocesses
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test app's readiness check reads /proc"),
]

SUITE = f"""
import pytest

@pytest.mark.iosmem(leak_per_iteration="100KB")
def test_leaks(iosmem, visit):
    for _ in iosmem.iterations(5, warmup=1):
        visit()

@pytest.mark.parametrize("name", ["plain", {HOSTILE[7:-1]!r}, "pipe|`tick`"])
def test_clean(iosmem, visit, name):
    iosmem.mark(f"mark {{name}}")
    for _ in iosmem.iterations(4, warmup=0):
        pass
"""

INTERRUPTED = """
import pytest

@pytest.mark.iosmem(leak_per_iteration="100KB")
def test_a_first(iosmem, visit):
    for _ in iosmem.iterations(4, warmup=0):
        pass

@pytest.mark.iosmem(leak_per_iteration="100KB")
def test_b_interrupted(iosmem, visit):
    for i in iosmem.iterations(8, warmup=1):
        visit()
        if i == 3:
            raise KeyboardInterrupt

def test_c_never_runs(iosmem):
    pass
"""

REPORTS = ("--iosmem-json=r.json", "--iosmem-markdown=r.md", "--iosmem-html=r.html")


def run(pytester, source, *args, leak="300000"):
    pytester.makeconftest(inner_conftest())
    pytester.makepyfile(test_suite=source)
    return pytester.runpytest_subprocess(
        *INNER, f"--iosmem-app={memapp_command('--leak', leak)}", *REPORTS, *args, timeout=300
    )


def reports(pytester):
    doc = json.loads((pytester.path / "r.json").read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    return doc, (pytester.path / "r.md").read_text(), (pytester.path / "r.html").read_text()


@pytest.mark.parametrize("xdist", [pytest.param(False, id="serial"),
                                   pytest.param(True, id="xdist", marks=pytest.mark.xdist_group(OWN_WORKERS))])
def test_failing_run(pytester, xdist, tmp_path):
    if xdist:
        pytest.importorskip("xdist")
    res = run(pytester, SUITE, *(["-n", "2"] if xdist else []))
    res.assert_outcomes(passed=3, failed=1)
    doc, md, page = reports(pytester)
    assert doc["summary"] == {"tests": 4, "failed": 1} and doc["interrupted"] is False
    assert {t["nodeid"] for t in doc["tests"]} == {
        "test_suite.py::test_leaks", "test_suite.py::test_clean[plain]",
        f"test_suite.py::test_clean[{HOSTILE[7:-1]}]", "test_suite.py::test_clean[pipe|`tick`]",
    }  # one merged file: every worker's results
    assert all(t["timeline"]["samples"] for t in doc["tests"])
    # markdown: the failure with its message before the table, every test in the table
    assert md.startswith("## iOS memory gates\n\n**4 gated, 1 failed**")
    assert md.index("### ❌ `test_suite.py::test_leaks`\n\n```\nleak: +") < md.index("| test | peak |")
    assert md.count("\n| `") == 4 and "| ``test_suite.py::test_clean[pipe\\|`tick`]`` |" in md
    # html: a chart per test, the failure first, names escaped
    assert page.count("<svg") == 4 and "<script" not in page
    assert page.index("test_suite.py::test_leaks</h2>") < page.index("test_suite.py::test_clean[plain]</h2>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    if xdist and CHROMIUM:
        check_in_chromium(pytester.path / "r.html", tmp_path, tests=4, hostile=HOSTILE[7:-1])


def test_passing_run(pytester):
    res = run(pytester, SUITE, "-k", "clean")
    res.assert_outcomes(passed=3, deselected=1)
    doc, md, page = reports(pytester)
    assert doc["summary"] == {"tests": 3, "failed": 0}
    assert "**3 gated, 0 failed**" in md and "### ❌" not in md
    assert md.count("| pass (no baseline) |") == 3
    assert page.count("<svg") == 3 and "<pre class=fail>" not in page


def test_interrupted_run_keeps_what_was_measured(pytester):
    res = run(pytester, INTERRUPTED)
    assert res.ret == pytest.ExitCode.INTERRUPTED
    doc, md, page = reports(pytester)
    assert doc["interrupted"] is True
    by_name = {t["nodeid"].split("::")[1]: t for t in doc["tests"]}
    assert set(by_name) == {"test_a_first", "test_b_interrupted"}  # the third never ran
    stopped = by_name["test_b_interrupted"]
    assert stopped["outcome"] == "interrupted"
    # interrupted inside its 4th iteration: the three before it are kept, with their samples
    assert [i["index"] for i in stopped["timeline"]["iterations"]] == [0, 1, 2] and stopped["timeline"]["samples"]
    assert "run interrupted, partial results" in md and "| interrupted |" in md
    assert "The run was interrupted" in page and page.count("<svg") == 2


def test_markdown_goes_to_the_github_step_summary_by_default(pytester, monkeypatch):
    summary = pytester.path / "step_summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    pytester.makeconftest(inner_conftest())
    pytester.makepyfile(test_one="def test_x(iosmem):\n    pass\n")
    pytester.runpytest_subprocess(*INNER, f"--iosmem-app={memapp_command()}",
                                  timeout=300).assert_outcomes(passed=1)
    text = summary.read_text()
    assert text.startswith("earlier step\n\n## iOS memory gates\n")  # appended after a blank line, not replaced
    assert "| `test_one.py::test_x` |" in text
