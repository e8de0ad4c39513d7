"""An inconclusive leak verdict through a real pytest run: terminal table, JSON, JUnit, the option.

The app is tests/apps/memapp.py (a real process; a visit is SIGUSR2). Three
measured iterations with ``max=3`` can never reach p <= 5% (the smallest
p-value of three readings is 1/3! = 0.17), so the leak verdict is
inconclusive by construction, whatever the machine's noise.
"""

import json
import sys

import pytest

from .helpers import INNER, inner_conftest, memapp_command

pytestmark = [
    pytest.mark.slow,  # real pytest runs in subprocesses
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test app's readiness check reads /proc"),
]

SUITE = """
import pytest

@pytest.mark.iosmem(leak_per_iteration="100KB")
def test_short(iosmem, visit):
    for _ in iosmem.iterations(3, warmup=1, max=3):
        visit()
"""


def run(pytester, *args):
    pytester.makeconftest(inner_conftest())
    pytester.makepyfile(test_suite=SUITE)
    return pytester.runpytest_subprocess(
        *INNER, "--iosmem-interval=0.01", f"--iosmem-app={memapp_command('--leak', '300000')}",
        "--iosmem-json=r.json", "--junitxml=junit.xml", *args, timeout=300,
    )


def test_inconclusive_warns_by_default_and_is_its_own_verdict_everywhere(pytester):
    res = run(pytester)
    res.assert_outcomes(passed=1, warnings=1)
    res.stdout.fnmatch_lines(["*InconclusiveWarning: iosmem: leak verdict inconclusive after 3 measured iterations (0 added)*"])
    res.stdout.re_match_lines([r"test_short .* inconclusive leak$"])
    [t] = json.loads((pytester.path / "r.json").read_text())["tests"]
    [d] = t["decisions"]
    assert (d["check"], d["outcome"], d["steps"], d["planned"], d["added"]) == ("leak", "inconclusive", 3, 3, 0)
    assert t["findings"] == [] and t["outcome"] == "passed"
    assert '<property name="iosmem_verdict" value="inconclusive leak"' in (pytester.path / "junit.xml").read_text()


def test_inconclusive_fails_the_test_with_the_option(pytester):
    res = run(pytester, "--iosmem-inconclusive=fail")
    res.assert_outcomes(failed=1)
    res.stdout.re_match_lines([r"inconclusive: leak \+\d+ KB per iteration over 3 iterations \(0 added, bound 3\): .*"])
    res.stdout.re_match_lines([r"test_short .* FAIL inconclusive leak$"])
    [t] = json.loads((pytester.path / "r.json").read_text())["tests"]
    assert [f["kind"] for f in t["findings"]] == ["inconclusive"]
    assert '<property name="iosmem_verdict" value="FAIL inconclusive leak"' in (pytester.path / "junit.xml").read_text()


def test_a_bad_inconclusive_value_names_the_option(pytester):
    res = run(pytester, "--iosmem-inconclusive=maybe")
    assert res.ret != 0
    res.stderr.fnmatch_lines(["*inconclusive='maybe'*choose one of warn, fail*"])
