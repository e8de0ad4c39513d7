"""The leaky screens through Appium: each gate fails for its reason (``pytest examples/appium
--show-failures`` shows the messages; by default they count as expected failures)."""

import pytest
from appium.webdriver.common.appiumby import AppiumBy

from test_appium_screens import visit


@pytest.mark.demo_failure("leak")
@pytest.mark.parametrize("screen", ["Timer Detail", "Retain Cycle", "Observer", "Map"])
@pytest.mark.iosmem(leak_per_iteration="128KB")
def test_leaky_screen(driver, iosmem, screen):
    for _ in iosmem.iterations(6, warmup=2):
        visit(driver, screen)


@pytest.mark.demo_failure("objects")
@pytest.mark.iosmem(leak_per_iteration="128KB")
def test_photo_detail_keeps_its_view_controller(driver, iosmem):
    for _ in iosmem.iterations(6, warmup=2):
        visit(driver, "Photo Detail")


@pytest.mark.demo_failure("no-reclaim")
@pytest.mark.iosmem(reclaim_after_warning="2MB", leak_per_iteration=None)
def test_stubborn_cache_ignores_the_warning(driver, iosmem):
    """A cache that keeps everything through a memory warning sent by the session."""
    for _ in range(6):
        visit(driver, "Stubborn Cache")
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "Stubborn Cache").click()
    iosmem.memory_warning()
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "Back").click()


@pytest.mark.demo_failure("peak")
@pytest.mark.iosmem(max_peak="30MB")
def test_burst_over_a_tight_peak_limit(driver, iosmem):
    visit(driver, "Burst")

