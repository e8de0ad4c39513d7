"""Nothing measured is never a pass: a check with no reading is inconclusive (failing under ``fail``).

A real pytest run on the memapp (tests/apps/memapp.py). Its footprint is read
through a /proc/PID/status as a kernel older than 4.5 writes it (VmRSS and
VmSwap, no RssAnon): the one seam replaced is the bytes
``ProcStatusReader.read`` parses, standing for that kernel's proc file.
Main read 0 bytes from it and passed a 1 MB peak limit.
"""

import json
import sys

import pytest

from pytest_iosmem.errors import ReadFailed
from pytest_iosmem.targets.procfs import parse_status

from .helpers import inner_conftest, memapp_command

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test app's readiness check reads /proc")

#: /proc/PID/status memory lines of a Linux 4.4 process: no RssAnon/RssFile/RssShmem yet
OLD_KERNEL = b"Name:\tpython3\nState:\tS (sleeping)\nVmPeak:\t  210000 kB\nVmRSS:\t  200000 kB\nVmSwap:\t       0 kB\n"

OLD_PROC = """
import pytest_iosmem.targets.procfs as procfs

OLD_KERNEL = %r
procfs.ProcStatusReader.read = lambda self: procfs.parse_status(OLD_KERNEL)
""" % OLD_KERNEL

SUITE = """
import pytest

@pytest.mark.iosmem(max_peak="1MB", leak_per_iteration="100KB")
def test_gated(iosmem, visit):
    for _ in iosmem.iterations(4, warmup=1, max=4):
        visit()
"""


def test_a_proc_without_rssanon_is_refused_not_read_as_zero():
    with pytest.raises(ReadFailed, match="no RssAnon line"):
        parse_status(OLD_KERNEL)
    assert parse_status(b"RssAnon:\t 10 kB\nRssShmem:\t 0 kB\nVmSwap:\t 0 kB\n") == 10 * 1024


def run(pytester, *args):
    pytester.makeconftest(inner_conftest() + OLD_PROC)
    pytester.makepyfile(test_suite=SUITE)
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--iosmem-interval=0.05", "--iosmem-settle-timeout=0.3",
        f"--iosmem-app={memapp_command()}", "--iosmem-json=r.json", *args, timeout=300,
    )


@pytest.mark.slow
def test_every_read_failing_is_inconclusive_not_pass(pytester):
    res = run(pytester)
    res.assert_outcomes(passed=1, warnings=1)
    res.stdout.re_match_lines([r"test_gated .* inconclusive (leak,peak|peak,leak)$"])
    [t] = json.loads((pytester.path / "r.json").read_text())["tests"]
    outcomes = {d["check"]: d["outcome"] for d in t["decisions"]}
    assert outcomes == {"leak": "inconclusive", "peak": "inconclusive"}
    assert t["metrics"]["peak"] is None


@pytest.mark.slow
def test_every_read_failing_fails_under_inconclusive_fail(pytester):
    res = run(pytester, "--iosmem-inconclusive=fail")
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*inconclusive: peak not measured: no footprint was read*"])
    [t] = json.loads((pytester.path / "r.json").read_text())["tests"]
    assert {f["kind"] for f in t["findings"]} == {"inconclusive"}
