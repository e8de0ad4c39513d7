"""The team's own Appium fixture, as an existing Appium suite has it.

On a Mac the URL is the Appium server's (``http://127.0.0.1:4723``) and the options name
the app and the simulator or device; pytest-iosmem reads both from the session.  Here the
URL comes from ``iosmem_appium_url``: on the local target the reference app answers as an
Appium server with the XCUITest driver would, so the real client runs unchanged.
"""

from importlib.util import find_spec

import pytest

BUNDLE_ID = "com.example.refapp"


def pytest_configure(config):
    if find_spec("appium") is None:
        raise pytest.UsageError("the Appium examples need the Appium Python client: pip install -e '.[appium]'")


@pytest.fixture
def driver(iosmem_appium_url):
    from appium import webdriver
    from appium.options.ios import XCUITestOptions

    options = XCUITestOptions().load_capabilities({
        "bundleId": BUNDLE_ID,
        "deviceName": "iPhone 15",
        "platformVersion": "17.4",
    })
    session = webdriver.Remote(iosmem_appium_url, options=options)
    yield session
    session.quit()
