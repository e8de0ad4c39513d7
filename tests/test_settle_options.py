"""The settle interval and window are options (command line and ini), checked like the other numbers.

Settling reads the footprint every ``interval`` seconds until ``window``
consecutive reads agree, so a settled iteration end took at least
``(window - 1) × interval`` seconds: the lower bounds below hold on any
machine, however loaded.
"""

from __future__ import annotations

import json
import sys

import pytest

from .helpers import inner_conftest, memapp_command

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test app's readiness check reads /proc")

QUIET = """
import pytest

@pytest.mark.iosmem(leak_per_iteration=None)  # no leak verdict: it could add iterations
def test_quiet(iosmem):
    for _ in iosmem.iterations(3, warmup=0):
        pass
"""


@pytest.fixture
def project(pytester):
    pytester.makeconftest(inner_conftest())
    pytester.makepyfile(test_quiet=QUIET)
    return pytester


def run(pytester, *args):
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--iosmem-interval=0.01",
                              "--iosmem-app=" + memapp_command(), "--iosmem-json=r.json", *args)


def settle_seconds(pytester) -> list[float]:
    [test] = json.loads((pytester.path / "r.json").read_text())["tests"]
    iterations = test["timeline"]["iterations"]
    assert len(iterations) == 3 and all(i["settled"] for i in iterations), iterations
    return [i["settle_seconds"] for i in iterations]


@pytest.mark.slow
def test_the_command_line_sets_interval_and_window(project):
    run(project, "--iosmem-settle-interval=0.2", "--iosmem-settle-window=3").assert_outcomes(passed=1)
    assert min(settle_seconds(project)) >= 0.4  # two waits of 0.2 s between three agreeing reads


@pytest.mark.slow
def test_the_ini_twins_set_them_and_the_command_line_wins(project):
    project.makeini("[pytest]\niosmem_settle_interval = 0.01\niosmem_settle_window = 4\n")
    run(project, "--iosmem-settle-interval=0.15").assert_outcomes(passed=1)
    assert min(settle_seconds(project)) >= 0.45  # the ini's window of 4, the command line's 0.15 s


@pytest.mark.slow
def test_the_defaults_are_five_reads_40_ms_apart(project):
    run(project).assert_outcomes(passed=1)
    assert min(settle_seconds(project)) >= 0.16


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("--iosmem-settle-interval=soon", "--iosmem-settle-interval='soon' is not a number"),
        ("--iosmem-settle-interval=0", "--iosmem-settle-interval='0' must be positive"),
        ("--iosmem-settle-window=2.5", "--iosmem-settle-window='2.5' is not a whole number"),
        ("--iosmem-settle-window=1", "--iosmem-settle-window='1' must be at least 2"),
    ],
)
def test_a_bad_value_is_a_usage_error_naming_option_and_value(project, arg, message):
    result = run(project, arg)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_a_bad_ini_value_is_a_usage_error_too(project):
    project.makeini("[pytest]\niosmem_settle_window = few\n")
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--iosmem-settle-window='few' is not a whole number*"])
