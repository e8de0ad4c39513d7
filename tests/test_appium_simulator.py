"""An Appium test on the simulator target, end to end: the session's capabilities pick the
simulator (its udid) and the app (its bundle id); the plugin finds the app's process, relaunches
it and sends the memory warning through the session, and never quits it.

The session is the real Appium Python client against the reference app, started here as the
suite's "Appium server" (it answers as one with the XCUITest driver would, echoing the udid it
was asked for).  Everything Apple is a stand-in (tests/fakes/xcrun replays the Xcode 16
``simctl list -j`` recording; its ``spawn … launchctl list`` answer is made here in the format
of the recorded one, tests/data/simctl_spawn_launchctl_list_1.txt, with a row for the reference
app's pid); the footprint seam (libproc on a Mac) reads that process from /proc.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("appium")

from pytest_iosmem.targets import libproc  # noqa: E402

from .test_refapp_wda import start_refapp, stop  # noqa: E402
from .test_simulator import _proc_status_footprint  # noqa: E402

DATA = Path(__file__).parent / "data"
FAKES = Path(__file__).parent / "fakes"
IPHONE15 = "218E4ECD-F530-413F-9A8F-65951D3C4DBF"  # in the Xcode 16 listing

CONFTEST = f'''
import pytest
from appium import webdriver
from appium.options.ios import XCUITestOptions

@pytest.fixture(scope="session")
def driver():
    session = webdriver.Remote("{{url}}", options=XCUITestOptions().load_capabilities(
        {{{{"bundleId": "com.example.refapp", "udid": "{IPHONE15}"}}}}))
    yield session
    session.query_app_state("com.example.refapp")  # still the user's: not quit by the plugin
    session.quit()
'''

TEST = '''
import pytest

@pytest.mark.iosmem(max_peak="300MB", reclaim_after_warning=None, leak_per_iteration=None)
def test_screen(driver, iosmem):
    assert iosmem.app.launched is False and iosmem.app.bundle_id == "com.example.refapp"
    driver.find_element("accessibility id", "Clean").click()
    iosmem.memory_warning()
    sent = [c for c, _ in iosmem.target.lifecycle.sent]
    assert sent == ["terminateApp", "launchApp", "sendMemoryWarning"], sent

def test_second(driver, iosmem):
    # relaunched per test through the session: the screen opened by the first test is gone
    assert len(driver.find_elements("accessibility id", "Back")) == 0
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the footprint seam reads /proc here")
@pytest.mark.parametrize("target_option", [["--iosmem-target", "simulator"], []], ids=["named", "from-the-session"])
@pytest.mark.slow
def test_an_appium_session_on_a_simulator(pytester, monkeypatch, tmp_path, target_option):
    """With --iosmem-target, or without it: the session's simulator UDID then picks the simulator target."""
    proc, url, _ = start_refapp()
    try:
        recorded = (DATA / "simctl_spawn_launchctl_list_1.txt").read_text().splitlines()
        launchctl = tmp_path / "launchctl.txt"
        launchctl.write_text("\n".join([*recorded, f"{proc.pid}\t0\tUIKitApplication:com.example.refapp[9f1c][rb-legacy]"])
                             + "\n")
        for key, value in {
            "PATH": f"{FAKES}{os.pathsep}{os.environ['PATH']}",
            "FAKE_XCRUN_LIST": str(DATA / "simctl_list_xcode16.json"),
            "FAKE_XCRUN_LAUNCHCTL": str(launchctl),
            "FAKE_XCRUN_LOG": str(tmp_path / "xcrun.log"),
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(libproc, "read_footprint", _proc_status_footprint)
        pytester.makeconftest(CONFTEST.format(url=url))
        pytester.makepyfile(test_screen=TEST)
        result = pytester.runpytest("-p", "no:cacheprovider", *target_option, "--iosmem-interval", "0.2",
                                    "--iosmem-json=r.json")
        result.assert_outcomes(passed=2)
        calls = (tmp_path / "xcrun.log").read_text()
        assert f'"spawn", "{IPHONE15}", "launchctl", "list"' in calls  # the session's simulator
        assert '"launch"' not in calls and '"terminate"' not in calls  # the session's app, left to it
        assert proc.poll() is None
        doc = json.loads((pytester.path / "r.json").read_text())
        assert {r["profile"]["kind"] for r in doc["tests"]} == {"simulator"}
    finally:
        stop(proc)
