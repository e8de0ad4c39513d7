"""What a newcomer trips on (issue 20, point 9): each fixed, each with its test."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

from pytest_iosmem.reports.terminal import format_summary

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test app's readiness check reads /proc")


def memapp_run(pytester, files: dict[str, str], *args: str, conftest: str = ""):
    """An inner pytest run of ``files`` against tests/apps/memapp.py (a real process)."""
    from .helpers import inner_conftest, memapp_command

    pytester.makeconftest(inner_conftest() + conftest)
    pytester.makepyfile(**files)
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--iosmem-app={memapp_command()}", "--iosmem-settle-timeout=0.3", *args, timeout=120,
    )


def _result(nodeid: str) -> dict:
    return {"nodeid": nodeid, "outcome": "passed", "findings": [], "decisions": [], "notes": [],
            "metrics": {"peak": 20_000_000, "end": 19_000_000, "start": 18_000_000, "leak": None, "reclaims": []},
            "baseline": None, "profile": {"key": "local-linux-x86_64"}}


def test_terminal_names_use_the_width_there_is():
    # cut to 30 characters even at 200 columns before: "test_l…mer Detail]"
    name = "test_leaky_screen_keeps_its_view_controller[Timer Detail]"
    wide = format_summary([_result(f"t.py::{name}")], width=200)
    assert name in wide
    narrow = format_summary([_result(f"t.py::{name}")], width=100)
    assert name not in narrow and "…" in narrow  # still cut to fit a narrow terminal
    assert max(len(line) for line in narrow.splitlines()) <= 100


DESELECTED = """
import pytest

@pytest.mark.iosmem(max_peak="lots")
def test_bad_marker():
    pass

def test_fine():
    pass
"""


@pytest.mark.slow
def test_a_bad_marker_on_a_deselected_test_stops_nothing(pytester):
    pytester.makepyfile(test_x=DESELECTED)
    res = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "fine")
    res.assert_outcomes(passed=1)
    assert res.ret == 0
    # selected, it is still a usage error naming the test and the value
    res = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*test_bad_marker*max_peak*lots*"])


NOTE_SUITE = """
def test_clean(iosmem, visit):
    for _ in iosmem.iterations(3, warmup=1):
        visit()
"""


@linux_only
@pytest.mark.slow
def test_a_passing_test_carries_no_allocation_stacks_note(pytester):
    import json

    res = memapp_run(pytester, {"test_suite": NOTE_SUITE}, "--iosmem-json=r.json", "--iosmem-markdown=r.md")
    res.assert_outcomes(passed=1)
    [t] = json.loads((pytester.path / "r.json").read_text())["tests"]
    assert not [n for n in t["notes"] if "allocation stacks" in n], t["notes"]
    assert "allocation stacks" not in (pytester.path / "r.md").read_text()


def test_the_html_report_works_after_a_plain_install():
    # the README's first command installs no extra: pygal must come with the package
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    assert any(dep.startswith("pygal") for dep in project["dependencies"])


NO_PYGAL = """
import sys
sys.modules["pygal"] = None  # stands for an environment where pygal is not installed
"""


@linux_only
@pytest.mark.slow
def test_an_html_report_that_cannot_be_made_says_why_and_fails_the_run(pytester):
    res = memapp_run(pytester, {"test_suite": "def test_x(iosmem):\n    pass\n"}, "--iosmem-html=r.html", conftest=NO_PYGAL)
    res.assert_outcomes(passed=1)
    res.stdout.fnmatch_lines(["*iosmem html report NOT written to *r.html: it needs pygal: pip install pygal*"])
    assert res.ret == pytest.ExitCode.TESTS_FAILED  # exit 0 before: skipped with a line nobody reads


TWO_TESTS = """
def test_one(iosmem):
    pass

def test_two(iosmem):
    pass
"""


@linux_only
@pytest.mark.slow
def test_a_truncated_baseline_of_another_profile_stops_neither_plain_nor_update_runs(pytester):
    from .helpers import inner_conftest, memapp_command

    pytester.makeconftest(inner_conftest())
    pytester.makepyfile(test_two=TWO_TESTS)
    bad = pytester.path / "baselines" / "local-linux-cpython3.1-x86_64" / "test_two.py.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"schema": 1, "tests": {"test_one": {"end": 1, "peak": 2}, "test_two": {"end": "1')
    args = ("-p", "no:cacheprovider", f"--iosmem-app={memapp_command()}", "--iosmem-settle-timeout=0.3")
    # an update run never compares: both tests run and their baselines are written
    res = pytester.runpytest_subprocess(*args, "--iosmem-update-baselines", timeout=120)
    res.assert_outcomes(passed=2)
    assert len(list((pytester.path / "baselines").rglob("*.json"))) == 2
    assert bad.read_text().endswith('"end": "1')
    # a plain run with this profile's own baselines never needs the neighbour
    pytester.runpytest_subprocess(*args, timeout=120).assert_outcomes(passed=2)
    # with none of its own, each test that needed it fails naming the file; the session goes on
    for own in (pytester.path / "baselines").rglob("*.json"):
        if own != bad:
            own.unlink()
    res = pytester.runpytest_subprocess(*args, timeout=120)
    res.assert_outcomes(errors=2)
    res.stdout.fnmatch_lines([f"*baseline file {bad} is corrupt: Unterminated string starting at (line 1, column *"])
    assert "Interrupted" not in res.stdout.str() and "at at" not in res.stdout.str()


def test_a_skipped_test_shows_no_change_against_its_baseline():
    skipped = {**_result("t.py::test_s"), "outcome": "skipped", "baseline": {"end": 22_000_000, "peak": 23_000_000}}
    row = format_summary([skipped], width=200).splitlines()[2]
    assert "%" not in row and "MB -" not in row  # "-3.1 MB -17%" before: a body that did not run, compared


SKIPS = """
import pytest

def test_skips(iosmem):
    pytest.skip("not on this device")
"""


@linux_only
@pytest.mark.slow
def test_an_update_run_does_not_call_a_skipped_test_refused(pytester):
    res = memapp_run(pytester, {"test_s": SKIPS}, "--iosmem-update-baselines")
    res.assert_outcomes(skipped=1)
    res.stdout.fnmatch_lines(["*baseline not updated for test_s.py::test_skips: it was skipped*"])
    assert "failed or broke a hard limit" not in res.stdout.str()
