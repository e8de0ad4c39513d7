"""What the Appium glue costs per test on the reference app (local target, real Appium client).

Prints, over N rounds, the median and 90th percentile of:
- new session: ``webdriver.Remote`` with ``XCUITestOptions`` (the suite's own fixture does this);
- relaunch through the driver: ``mobile: terminateApp`` + ``mobile: launchApp`` (what the plugin
  sends per test on a simulator or device);
- memory warning through the driver: ``mobile: sendMemoryWarning``;
- one tap: find by accessibility id + click.

Run: .venv/bin/python bench/appium_lifecycle.py [ROUNDS]   (figures: docs/performance.md)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appium import webdriver  # noqa: E402
from appium.options.ios import XCUITestOptions  # noqa: E402

from pytest_iosmem.appium_glue import DriverLifecycle  # noqa: E402
from pytest_iosmem.targets.local import LocalTarget  # noqa: E402
from pytest_iosmem.targets.base import AppSpec  # noqa: E402

BUNDLE = "com.example.refapp"


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main(rounds: int) -> None:
    target = LocalTarget()
    app = target.launch(AppSpec())
    try:
        h = app.handle
        h.url_seen.wait(10)
        url = app.wda_url
        options = XCUITestOptions().load_capabilities({"bundleId": BUNDLE})
        sessions, relaunches, warnings, taps = [], [], [], []
        sent = []
        for _ in range(rounds):  # one session at a time, as WebDriverAgent serves
            holder = []
            sessions.append(timed(lambda: holder.append(webdriver.Remote(url, options=options))))
            driver = holder[0]
            life = DriverLifecycle(driver, target, BUNDLE)
            relaunches.append(timed(lambda: (life._mobile("terminateApp", bundleId=BUNDLE),
                                             life._mobile("launchApp", bundleId=BUNDLE))))
            warnings.append(timed(lambda: life.memory_warning(app)))
            taps.append(timed(lambda: driver.find_element("accessibility id", "Clean").click()))
            driver.find_element("accessibility id", "Back").click()
            sent += life.sent
        for name, xs in (("new session", sessions), ("relaunch (terminate+launch)", relaunches),
                         ("memory warning", warnings), ("find + tap", taps)):
            xs.sort()
            print(f"{name:30s} median {statistics.median(xs):7.2f} ms   p90 {xs[int(0.9 * (len(xs) - 1))]:7.2f} ms")
        print(f"rounds: {rounds}; refused commands: {sum(1 for _, a in sent if a != 'ok')}")
    finally:
        target.terminate(app)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
