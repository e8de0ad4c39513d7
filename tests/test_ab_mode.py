"""A/B mode on real processes: the reference app as base and head builds (pytester, as users run it).

The head build is the reference app started with ``--regress SIZE`` (an
app-wide cache SIZE larger, see docs/refapp.md); the base is the unchanged
app.  Nothing is mocked: both builds are launched, driven and measured.
"""

import json
import platform
import sys

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (sys.platform.startswith("linux") or sys.platform == "darwin"), reason="local target"),
]

REFAPP = f"{sys.executable} -m pytest_iosmem.refapp --port 0"

GATE = """
import pytest

@pytest.mark.iosmem(max_growth="5%", leak_per_iteration=None)
def test_open_screen(wda_session, iosmem):
    wda_session(label="{screen}").click()
    wda_session(label="Back").click()
"""


def run_ab(pytester, base, head, *extra, screen="Clean"):
    pytester.makepyfile(test_ab=GATE.format(screen=screen))
    # a subprocess: the HTML report imports pygal, which an in-process run would leave half-unloaded
    res = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--iosmem-base-app={base}", f"--iosmem-app={head}",
        "--iosmem-json=r.json", "--iosmem-markdown=r.md", "--iosmem-html=r.html", "--junitxml=j.xml", *extra,
    )
    doc = json.loads((pytester.path / "r.json").read_text())
    (result,) = doc["tests"]
    return res, result


def test_a_real_regression_fails_naming_base_head_difference_and_interval(pytester):
    res, r = run_ab(pytester, REFAPP, f"{REFAPP} --regress 3MB")
    res.assert_outcomes(failed=1)
    junit = (pytester.path / "j.xml").read_text()
    assert '<property name="iosmem_verdict" value="A/B FAIL growth" />' in junit
    assert '<property name="iosmem_ab" value="finding" />' in junit
    out = res.stdout.str()
    # the message: which metric, head and base values, the difference and its interval, the limit, both builds
    assert "A/B end footprint: head " in out and " vs base " in out
    assert "95% interval [+" in out and "regressed beyond the limit" in out
    assert f"base: {REFAPP}" in out and f"head: {REFAPP} --regress 3MB" in out
    ab = r["ab"]
    assert ab["outcome"] == "finding" and ab["failed_build"] is None and r["baseline"] is None
    end = ab["metrics"]["end"]
    assert end["outcome"] == "finding"
    # the shift found is the regression put in (3 MB, page-rounded), and the interval holds it
    assert end["diff"] == pytest.approx(3_000_000, rel=0.1)
    assert end["low"] <= end["diff"] <= end["high"] and end["low"] > end["limit"]
    assert ab["pairs"] == 6  # clear at the planned pairs: no more were run
    assert [t["build"] for t in ab["trials"][:4]] == ["base", "head", "head", "base"]  # ABBA
    assert "A/B FAIL growth" in out and "A/B run (ABBA order" in out
    md = (pytester.path / "r.md").read_text()
    assert "A/B run: each test ran as paired trials" in md and "| `test_ab.py::test_open_screen` | end |" in md
    assert_every_report_says(pytester, res, "regressed beyond the limit", "+1.0 MB")


def test_equal_builds_pass(pytester):
    res, r = run_ab(pytester, REFAPP, REFAPP)
    res.assert_outcomes(passed=1)
    end = r["ab"]["metrics"]["end"]
    assert r["ab"]["outcome"] == "clear" and end["outcome"] == "clear"
    assert end["high"] <= end["limit"] and r["findings"] == []
    assert "A/B pass" in res.stdout.str()
    assert_every_report_says(pytester, res, "within the limit", "+1.0 MB")


def assert_every_report_says(pytester, res, words, limit):
    """Issue 21: the limit and the failure message's decision words on the A/B rows of every report."""
    terminal = [ln for ln in res.stdout.lines if ln.startswith("  test_open_screen: A/B end footprint: head ")]
    assert len(terminal) == 1 and f"; limit {limit} (signed-rank p=" in terminal[0] and terminal[0].endswith(f": {words}")
    md = (pytester.path / "r.md").read_text()
    assert f"| {limit} | 6 | " in md and f"{words} |" in md
    html = (pytester.path / "r.html").read_text()
    assert f"<td class=n>{limit}</td>" in html and f">{words}</span>" in html
    assert "base end footprint" in html and "head end footprint" in html and "limit: base + " in html
    assert " vs base</td>" in html  # the summary's "vs baseline" columns hold head − base, not "-"
    junit = (pytester.path / "j.xml").read_text()
    assert '<property name="iosmem_ab_end_limit" value="' in junit
    # what was launched for each build, in every report: command, interpreter and version, working directory
    for build in ("base", "head"):
        prop = next(ln for ln in junit.splitlines() if f'name="iosmem_ab_{build}_launch" ' in ln)
        assert sys.executable in prop and f"{platform.python_implementation()} {platform.python_version()}" in prop
        assert "; cwd /" in prop and str(pytester.path) not in prop  # a neutral directory, not the checkout
        assert f"<li class=muted><code>{build}: {sys.executable}" in html and f"- {build}: " in md
        assert any(ln.startswith(f"  {build}: {sys.executable}") for ln in res.stdout.lines)
    prop = next(ln for ln in junit.splitlines() if 'name="iosmem_ab_end" ' in ln)
    assert "A/B end footprint: head " in prop and f"; limit {limit} (signed-rank p=" in prop and f": {words}\"" in prop


def test_too_few_pairs_is_inconclusive_and_shown_as_such(pytester):
    # three pairs can give no finite 95% interval (six are needed): undecided at the bound, never a silent pass
    res, r = run_ab(pytester, REFAPP, REFAPP, "--iosmem-ab-pairs=3:3")
    res.assert_outcomes(passed=1)
    assert r["ab"]["outcome"] == "inconclusive" and r["ab"]["pairs"] == 3
    assert {d["outcome"] for d in r["decisions"]} == {"inconclusive"}
    assert any("inconclusive after 3 pairs" in n and "at least 6 are needed" in n for n in r["notes"])
    assert "A/B inconclusive" in res.stdout.str()


def test_the_markers_inconclusive_fail_fails_an_undecided_ab_run(pytester):
    """Issue 21 item 6: the marker's inconclusive="fail" (the test's policy) is read, not only the option."""
    pytester.makepyfile(test_ab="""
import pytest

@pytest.mark.iosmem(max_growth="5%", leak_per_iteration=None, inconclusive="fail")
def test_open_screen(wda_session, iosmem):
    wda_session(label="Clean").click()
    wda_session(label="Back").click()
""")
    res = pytester.runpytest("-p", "no:cacheprovider", f"--iosmem-base-app={REFAPP}", f"--iosmem-app={REFAPP}",
                             "--iosmem-ab-pairs=3:3", "--iosmem-json=r.json")
    res.assert_outcomes(failed=1)
    (r,) = json.loads((pytester.path / "r.json").read_text())["tests"]
    assert "inconclusive" in {f["kind"] for f in r["findings"]}
    assert "inconclusive after 3 pairs" in res.stdout.str()


def test_a_base_launched_differently_is_refused_or_with_the_option_warned_about(pytester):
    """Issue 21: PYTHONPATH set for the base only (the old docs/ci.md recipe) moved the footprint by 2%."""
    base = f"env PYTHONPATH={pytester.path} {REFAPP}"
    pytester.makepyfile(test_ab=GATE.format(screen="Clean"))
    res = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--iosmem-base-app={base}")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    err = res.stderr.str()
    assert f"environment PYTHONPATH: base '{pytester.path}', head not set" in err
    assert "--iosmem-ab-launch=warn" in err and "--iosmem-base-app=../base" in err
    res, r = run_ab(pytester, base, REFAPP, "--iosmem-ab-launch=warn", "--iosmem-ab-pairs=1:1")
    assert r["ab"]["launches"]["differences"] == [f"environment PYTHONPATH: base '{pytester.path}', head not set"]
    assert any(n.startswith("A/B WARNING: base and head were launched differently") for n in r["notes"])
    assert "A/B WARNING: base and head were launched differently" in res.stdout.str()
    assert "WARNING, launched differently beyond the build: environment PYTHONPATH" in (pytester.path / "r.md").read_text()


def test_the_base_app_dying_is_the_bases_failure(pytester):
    # the base build's Burst screen allocates 400 MB under a 300 MB limit: jetsam kills the base, not the head
    res, r = run_ab(pytester, f"{REFAPP} --size burst=400MB", REFAPP, "--iosmem-jetsam-limit=300MB", screen="Burst")
    res.assert_outcomes(failed=1)
    out = res.stdout.str()
    assert "A/B: the base build (" in out and "failed in pair 1" in out
    assert "this is the base's failure, not the head's" in out
    assert r["ab"]["failed_build"] == "base" and r["ab"]["outcome"] == "base-failed"
    assert [f["kind"] for f in r["findings"]] == ["base-failed"]
    assert "terminated" in r["findings"][0]["message"]
    assert [t["build"] for t in r["ab"]["trials"]] == ["base"]  # the head never ran


def test_ab_options_that_cannot_go_together_are_usage_errors(pytester):
    pytester.makepyfile(test_ab=GATE.format(screen="Clean"))
    res = pytester.runpytest("-p", "no:cacheprovider", f"--iosmem-base-app={REFAPP}", "--iosmem-relaunch=session")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    assert "--iosmem-relaunch=session cannot be used" in res.stderr.str()
    res = pytester.runpytest("-p", "no:cacheprovider", f"--iosmem-base-app={REFAPP}", "--iosmem-ab-pairs=8:4")
    assert res.ret == pytest.ExitCode.USAGE_ERROR and "MAX >= PLANNED" in res.stderr.str()


def test_the_head_app_dying_is_the_heads_failure(pytester):
    # the mirror case: now the head build's Burst screen passes the limit; the gate's own message says so
    res, r = run_ab(pytester, REFAPP, f"{REFAPP} --size burst=400MB", "--iosmem-jetsam-limit=300MB", screen="Burst")
    res.assert_outcomes(failed=1)
    assert "terminated: the app died (jetsam: per-process-limit)" in res.stdout.str()
    assert r["ab"]["failed_build"] == "head" and r["ab"]["outcome"] == "head-failed"
    assert "terminated" in {f["kind"] for f in r["findings"]} and "base-failed" not in {f["kind"] for f in r["findings"]}
    assert [t["build"] for t in r["ab"]["trials"]] == ["base", "head"]  # stopped at the head's first trial


def test_a_body_that_skips_is_skipped_not_a_builds_failure(pytester):
    pytester.makepyfile(test_ab="""
import pytest

@pytest.mark.iosmem(max_growth="5%")
def test_needs_something(wda_session, iosmem):
    pytest.skip("not on this build")
""")
    res = pytester.runpytest("-p", "no:cacheprovider", f"--iosmem-base-app={REFAPP}", "-rs")
    res.assert_outcomes(skipped=1)
    assert "not on this build" in res.stdout.str()
