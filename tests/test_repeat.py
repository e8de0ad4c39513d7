"""``--iosmem-repeat N[:WARMUP]``: unit tests of its parts, then pytester runs on real processes
(tests/apps/memapp.py: one visit is SIGUSR2; ``--leak`` bytes stay per visit)."""

from __future__ import annotations

import json
import sys

import pytest

from pytest_iosmem.errors import UsageError
from pytest_iosmem.repeat import Repeat, calls_iterations, parse_repeat

from .helpers import inner_conftest, memapp_command

# -- parsing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("6", Repeat(6, 2)), ("6:2", Repeat(6, 2)), ("3:3", Repeat(3, 3)), (" 4:0 ", Repeat(4, 0)), ("1", Repeat(1, 2))],
)
def test_parse_repeat(text, expected):
    assert parse_repeat(text, default_warmup=2) == expected


@pytest.mark.parametrize("text", ["0", "x", "6:", "6:-1", "6:2:1", "-3", "2.5"])
def test_parse_repeat_rejects_bad_values_naming_the_option(text):
    with pytest.raises(UsageError, match=r"--iosmem-repeat="):
        parse_repeat(text, default_warmup=2)


def test_no_value_is_no_repeat():
    assert parse_repeat(None, 2) is None and parse_repeat("", 2) is None


# -- which bodies already loop (static look, nothing runs) ------------------------------------------------


def _helper_with_loop(iosmem):
    for _ in iosmem.iterations(3):
        pass


def _helper_without_loop(session):
    session.click()


def _outer_helper(iosmem):
    _helper_with_loop(iosmem)


def test_a_direct_call_is_seen():
    def body(iosmem):
        for _ in iosmem.iterations(6, warmup=2):
            pass

    assert calls_iterations(body)


def test_a_call_in_a_helper_by_name_is_seen_two_levels_deep():
    def body(iosmem):
        _outer_helper(iosmem)

    assert calls_iterations(body)
    assert not calls_iterations(body, depth=1)


def test_a_call_in_a_lambda_or_comprehension_is_seen():
    def body(iosmem):
        return [x for x in iosmem.iterations(2)]

    assert calls_iterations(body)
    assert calls_iterations(lambda iosmem: list(iosmem.iterations(2)))


def test_a_body_without_a_loop_is_repeated():
    def body(session, iosmem):
        _helper_without_loop(session)
        iosmem.mark("x")

    assert not calls_iterations(body)


def test_a_decorated_body_is_looked_through():
    import functools

    def deco(f):
        @functools.wraps(f)
        def wrapper(*a, **k):
            return f(*a, **k)

        return wrapper

    @deco
    def body(iosmem):
        _helper_with_loop(iosmem)

    assert calls_iterations(body)


# -- end to end ------------------------------------------------------------------------------------------

pytestmark_e2e = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test app's readiness check reads /proc")

ONE_VISIT = """
import pytest

def test_one_visit(iosmem, visit):
    visit()
"""


@pytest.fixture
def project(pytester):
    pytester.makeconftest(inner_conftest())
    return pytester


def run(pytester, *args):
    return pytester.runpytest("-p", "no:cacheprovider", "--iosmem-interval=0.01", "--iosmem-json=r.json", *args)


def report(pytester):
    return {r["nodeid"].split("::")[-1]: r for r in json.loads((pytester.path / "r.json").read_text())["tests"]}


def app(*args):
    return "--iosmem-app=" + memapp_command(*args)


@pytestmark_e2e
def test_an_unedited_test_becomes_a_leak_check(project):
    project.makepyfile(test_one=ONE_VISIT)
    leak = 400 * 1024
    once = run(project, app("--leak", str(leak)))
    once.assert_outcomes(passed=1)  # one visit: nothing to judge a leak on
    assert report(project)["test_one_visit"]["metrics"]["leak"] is None

    repeated = run(project, app("--leak", str(leak)), "--iosmem-repeat", "6:2")
    repeated.assert_outcomes(failed=1)
    repeated.stdout.re_match_lines([r".*leak: \+\d+ KB per iteration over 6 iterations \(trend p=0\.00\d+\), limit 128 KB"])
    r = report(project)["test_one_visit"]
    assert r["metrics"]["leak"]["per_iteration"] == pytest.approx(leak, rel=0.25)
    its = r["timeline"]["iterations"]
    assert len(its) == 8 and sum(1 for i in its if i["warmup"]) == 2
    assert "--iosmem-repeat 6:2: the test body ran 8 times (2 warm-up)" in r["notes"]


@pytestmark_e2e
def test_a_clean_app_passes_and_the_ini_twin_sets_the_repeat(project):
    project.makeini("[pytest]\niosmem_repeat = 4:1\n")
    project.makepyfile(test_one=ONE_VISIT)
    run(project, app("--noise", "65536", "--seed", "5")).assert_outcomes(passed=1)
    r = report(project)["test_one_visit"]
    # 4 planned; a rank test over the looks 4..20 at 5% overall cannot decide before 6 readings
    # (p >= 1/4! = 4.2% at 4), so the loop adds two: 6 measured + 1 warm-up
    assert r["metrics"]["leak"]["n"] == 6 and len(r["timeline"]["iterations"]) == 7
    assert [d["outcome"] for d in r["decisions"]] == ["clear"]


@pytestmark_e2e
def test_a_body_with_its_own_loop_is_left_alone_and_says_so(project):
    project.makepyfile(
        test_loop="""
def visits(iosmem, visit):
    for _ in iosmem.iterations(4, warmup=1):
        visit()

def test_own_loop(iosmem, visit):
    visits(iosmem, visit)
"""
    )
    res = run(project, app(), "--iosmem-repeat", "6:2")
    res.assert_outcomes(passed=1)
    res.stdout.fnmatch_lines(["*PytestWarning: --iosmem-repeat 6:2: test_loop.py::test_own_loop calls iosmem.iterations() itself, so it ran once, as written*"])
    r = report(project)["test_own_loop"]
    # its own loop (4 + 1, and two added: no decision before 6 readings), not --iosmem-repeat's 6 + 2
    assert len(r["timeline"]["iterations"]) == 7 and r["timeline"]["plan"] == {"planned": 4, "max": 20}
    assert any("ran once, as written" in n for n in r["notes"])


@pytestmark_e2e
def test_a_body_failing_on_a_repeat_fails_as_itself(project):
    project.makepyfile(
        test_fail="""
runs = []

def test_third_run_fails(iosmem, visit):
    runs.append(1)
    visit()
    assert len(runs) < 3, "the third run broke"
"""
    )
    res = run(project, app(), "--iosmem-repeat", "3:1")
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*AssertionError: the third run broke*", "FAILED test_fail.py::test_third_run_fails - AssertionError: the third run broke*"])
    r = report(project)["test_third_run_fails"]
    assert r["body_error"].startswith("AssertionError: the third run broke")
    assert "--iosmem-repeat 3:1: the test body failed on run 3 of 4" in r["notes"]


@pytestmark_e2e
def test_a_loop_the_static_look_cannot_see_stops_the_test_with_a_message(project):
    project.makepyfile(
        test_hidden="""
import pytest

@pytest.fixture
def scenario(iosmem, visit):
    def go():
        for _ in getattr(iosmem, "iter" + "ations")(3):
            visit()
    return go

def test_hidden_loop(iosmem, scenario):
    scenario()
"""
    )
    res = run(project, app(), "--iosmem-repeat", "3")
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*iosmem: --iosmem-repeat runs this test's body in an iosmem.iterations() loop of its own*"])


@pytestmark_e2e
def test_tests_without_the_gate_run_once_and_a_bad_value_is_a_usage_error(project):
    project.makepyfile(
        test_plain="""
runs = []

def test_plain():
    runs.append(1)

def test_ran_once():
    assert runs == [1]
"""
    )
    run(project, "--iosmem-repeat", "5").assert_outcomes(passed=2)
    project.makepyfile(test_gated=ONE_VISIT)  # options are read when a gated test is collected
    bad = run(project, "--iosmem-repeat", "five")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--iosmem-repeat='five': write N or N:WARMUP, e.g. 6 or 6:2*"])
