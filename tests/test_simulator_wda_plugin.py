"""Issue 14, item 4, end to end: a pytest run on the simulator target starts WebDriverAgent first,
launches the app after it serves, and ``wda_session`` is bound to the app under test.

Everything Apple is a stand-in on PATH (tests/fakes): ``xcrun`` replays the Xcode 16
``simctl list -j`` recording and logs each call; ``xcodebuild`` "runs" WebDriverAgent and,
after a delay, prints its ``ServerURLHere`` line with the URL of a stand-in WebDriverAgent
(tests/test_wda_binding.py: recorded ``/status`` and ``POST /session`` answers, WDA's
relaunch/terminate rules).  Both stand-in tools write one ordered event log.  The footprint
seam (libproc's ``proc_pid_rusage`` on a Mac) reads the stand-in app process from /proc, as in
tests/test_simulator.py; so pytest runs in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("wda")

from pytest_iosmem.targets import libproc  # noqa: E402

from .helpers import fakes_path  # noqa: E402
from .test_simulator import _proc_status_footprint  # noqa: E402
from .test_wda_binding import SID, StandInWda  # noqa: E402

DATA = Path(__file__).parent / "data"
IPHONE15 = "218E4ECD-F530-413F-9A8F-65951D3C4DBF"

TEST = f'''
def test_screen(wda_session, iosmem):
    assert wda_session.session_id == "{SID}"
    for _ in iosmem.iterations(2, warmup=0):
        pass
'''


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the footprint seam reads /proc here")
def test_wda_first_then_the_app_then_a_session_bound_to_it(pytester, monkeypatch, tmp_path):
    wda = StandInWda()
    app = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        events = tmp_path / "events.log"
        xctestrun = tmp_path / "WebDriverAgentRunner_iphonesimulator18.5-arm64.xctestrun"
        xctestrun.write_text("<plist/>")
        for key, value in {
            "PATH": fakes_path(),
            "FAKE_XCRUN_LIST": str(DATA / "simctl_list_xcode16.json"),
            "FAKE_XCRUN_PID": str(app.pid),
            "FAKE_WDA_URL": wda.url, "FAKE_WDA_DELAY": "1", "FAKE_EVENTS_LOG": str(events),
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(libproc, "read_footprint", _proc_status_footprint)
        pytester.makepyfile(test_screen=TEST)
        result = pytester.runpytest(
            "-p", "no:cacheprovider", "--iosmem-target", "simulator", "--iosmem-simulator-udid", IPHONE15,
            "--iosmem-app", "com.example.MyApp", "--iosmem-simulator-xctestrun", str(xctestrun),
            "--iosmem-interval", "0.5")
        result.assert_outcomes(passed=1)
        order = [e.get("event") or " ".join(e["argv"][:2]) for e in map(json.loads, events.read_text().splitlines())]
        assert order.index("served") < order.index("simctl launch"), order
        [body] = wda.bodies
        assert body["capabilities"]["alwaysMatch"]["bundleId"] == "com.example.MyApp"
        assert body["capabilities"]["alwaysMatch"]["forceAppLaunch"] is False
        assert wda.app_events == []  # the measured app was neither relaunched nor killed by WDA
    finally:
        app.kill()
        wda.close()
