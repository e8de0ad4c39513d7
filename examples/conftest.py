"""The example suite's one switch: ``--show-failures``, and what counts as an expected failure.

Each failure demonstration is marked ``demo_failure("leak")`` etc.  By default
a demonstration counts as an expected failure (xfailed) only when the memory
gate it demonstrates failed: the test body ran, the plugin judged it, and the
gate failure names that kind (``GateFailed.kinds``).  Anything else keeps its
real outcome:

- the target or the app could not start, WebDriverAgent did not answer: an
  error in setup, as for every other test that needs them;
- a different gate failed, or the test body raised: a failure;
- the gate passed: a failure too (``[XPASS(strict)]``: the demonstration no
  longer demonstrates anything).

With ``--show-failures`` they run as plain tests, so you see each gate's message.
"""

import pytest

from pytest_iosmem.outcome import gate_kinds


def pytest_addoption(parser):
    parser.addoption(
        "--show-failures",
        action="store_true",
        help="run the failure demonstrations as plain tests, to see each gate's real failure message",
    )


# trylast: this wrapper sits inside the plugin's own, so the plugin records "xfailed" in its results
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(item, call):
    report = yield
    demo = item.get_closest_marker("demo_failure")
    if demo is None or call.when != "call" or item.config.getoption("--show-failures"):
        return report
    kind = demo.args[0]
    reason = f"demonstration: the {kind} gate fails here (see it with --show-failures)"
    if report.passed:
        report.outcome = "failed"
        report.longrepr = f"[XPASS(strict)] {reason}, but it passed"
    elif report.failed and kind in gate_kinds(call.excinfo.value if call.excinfo else None):
        report.outcome = "skipped"
        report.wasxfail = reason
    return report
