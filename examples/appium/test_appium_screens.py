"""Memory gates on an Appium suite: the same screens as examples/test_screens.py.

The only lines a gate adds to an Appium test: the ``iosmem`` marker, the ``iosmem``
fixture, and (for a leak check) the ``iosmem.iterations`` loop.  The app, the device
and the way to relaunch it come from the ``driver`` session's capabilities.
"""

import pytest
from appium.webdriver.common.appiumby import AppiumBy


def visit(driver, screen: str) -> None:
    """Open a screen from the home screen and go back."""
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, screen).click()
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "Back").click()


@pytest.mark.iosmem(max_peak="150MB", jetsam_headroom="50%")
def test_clean_screen_does_not_leak(driver, iosmem):
    for _ in iosmem.iterations(6, warmup=2):
        visit(driver, "Clean")


@pytest.mark.iosmem(max_peak="150MB")
def test_burst_is_a_peak_not_a_leak(driver, iosmem):
    for _ in iosmem.iterations(6, warmup=1):
        with iosmem.phase("burst"):
            visit(driver, "Burst")


@pytest.mark.iosmem(reclaim_after_warning="2MB", leak_per_iteration=None)
def test_purging_cache_gives_memory_back(driver, iosmem):
    """The memory warning goes through the session (``mobile: sendMemoryWarning``)."""
    for _ in range(6):
        visit(driver, "Purging Cache")
    iosmem.mark("cache filled")
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "Purging Cache").click()
    iosmem.memory_warning()
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "Back").click()


@pytest.mark.iosmem(max_peak="150MB")
def test_app_state_through_the_session(driver, iosmem):
    """The session drives the app the gate measures: its state, as Appium reports it."""
    assert driver.query_app_state("com.example.refapp") == 4
    visit(driver, "Clean")
