"""Issue 14, item 9: a failure demonstration counts as xfailed only when its own gate failed.

Two levels:

- the whole example suite against targets that cannot start here (``device``
  without a device, ``simulator`` without Xcode): every test that needs the
  target is an *error*, none is xfailed, the run is red;
- the rule of examples/conftest.py on its own, with pytester: tests that raise
  what the plugin raises (``GateFailed`` with its finding kinds, the seam between
  the plugin's judging hook and the example suite) or fail in setup.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _outcomes(text: str) -> dict[str, int]:
    last = [line for line in text.splitlines() if re.search(r"\d+ (passed|failed|error|xfailed|skipped)", line)][-1]
    return {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|errors?|xfailed|xpassed|skipped)", last)}


def _run_examples(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "examples", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.slow
def test_examples_on_a_device_target_that_cannot_start_are_errors_not_xfails():
    try:
        import pymobiledevice3  # noqa: F401

        installed = True  # (the test extra installs it): then no usbmuxd / no device is what stops the target
    except ImportError:
        installed = False
    proc = _run_examples("--iosmem-target", "device", "--iosmem-app", "com.example.MyApp")
    counts = _outcomes(proc.stdout)
    if installed and set(counts) != {"errors"} and "iosmem target: device:" not in proc.stdout:
        pytest.skip("a device answered on this machine: the device target could start")
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert set(counts) == {"errors"} and counts["errors"] >= 13, counts  # every example test needs the target
    if installed:
        assert re.search(r"iosmem target: device: (usbmuxd is not running|no device is connected)", proc.stdout), \
            proc.stdout[-3000:]
    else:
        assert "the device target needs pymobiledevice3" in proc.stdout and "pytest-iosmem[device]" in proc.stdout


@pytest.mark.slow
def test_examples_on_a_simulator_target_without_xcode_are_errors_not_xfails(tmp_path):
    bare = tmp_path / "bin"  # a PATH without xcrun: what a Linux host or a Mac without Xcode has
    bare.mkdir()
    env = {**os.environ, "PATH": str(bare)}
    proc = _run_examples("--iosmem-target", "simulator", "--iosmem-app", "com.example.MyApp", env=env)
    counts = _outcomes(proc.stdout)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert set(counts) == {"errors"} and counts["errors"] >= 13, counts
    assert "no 'xcrun' on PATH" in proc.stdout


DEMOS = '''
import pytest
from pytest_iosmem.outcome import GateFailed

@pytest.fixture
def broken_target():
    pytest.fail("iosmem target: no device", pytrace=False)

@pytest.mark.demo_failure("leak")
def test_leak_gate_failed():
    raise GateFailed("leak: +200 KB per iteration", ["leak"])

@pytest.mark.demo_failure("leak")
def test_leak_and_growth_gates_failed():
    raise GateFailed("growth ... leak ...", ["growth", "leak"])

@pytest.mark.demo_failure("leak")
def test_another_gate_failed():
    raise GateFailed("peak: 40 MB over 30 MB", ["peak"])

@pytest.mark.demo_failure("leak")
def test_plain_fail_is_not_a_gate():
    pytest.fail("WebDriverAgent at http://127.0.0.1:8100 is not reachable", pytrace=False)

@pytest.mark.demo_failure("leak")
def test_target_cannot_start(broken_target):
    pass

@pytest.mark.demo_failure("leak")
def test_gate_passed():
    pass
'''


def test_the_conftest_rule_counts_only_the_demonstrated_gate(pytester):
    pytester.makeconftest((ROOT / "examples" / "conftest.py").read_text())
    pytester.makeini("[pytest]\nmarkers =\n    demo_failure(kind): a demonstration\n")
    pytester.makepyfile(test_demos=DEMOS)
    result = pytester.runpytest("-rxXfE", "-p", "no:cacheprovider")
    result.assert_outcomes(xfailed=2, failed=3, errors=1)
    out = result.stdout.str()
    assert re.search(r"XFAIL .*test_leak_gate_failed", out) and re.search(r"XFAIL .*test_leak_and_growth", out)
    assert re.search(r"FAILED .*test_another_gate_failed", out)
    assert re.search(r"FAILED .*test_plain_fail_is_not_a_gate", out)
    assert re.search(r"FAILED .*test_gate_passed", out) and "[XPASS(strict)]" in out
    assert re.search(r"ERROR .*test_target_cannot_start", out)


def test_show_failures_runs_them_as_plain_tests(pytester):
    pytester.makeconftest((ROOT / "examples" / "conftest.py").read_text())
    pytester.makeini("[pytest]\nmarkers =\n    demo_failure(kind): a demonstration\n")
    pytester.makepyfile(test_demos=DEMOS)
    result = pytester.runpytest("--show-failures", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=4, errors=1)
