"""Memory gates for the reference app's well-behaved screens.

Written the way an iOS team writes them for their own app: facebook-wda
drives the UI (the same calls work against WebDriverAgent on a simulator or
a device), ``iosmem`` measures the footprint while it does.
"""

import pytest


def visit(session, screen: str) -> None:
    """Open a screen from the home screen and go back."""
    session(label=screen).click()
    session(label="Back").click()


@pytest.mark.iosmem(max_peak="150MB", jetsam_headroom="50%")
def test_clean_screen_does_not_leak(wda_session, iosmem):
    for _ in iosmem.iterations(6, warmup=2):
        visit(wda_session, "Clean")


@pytest.mark.iosmem(max_peak="150MB")
def test_burst_is_a_peak_not_a_leak(wda_session, iosmem):
    """Large short-lived allocations: the peak is gated, the settled footprint does not grow."""
    for _ in iosmem.iterations(6, warmup=1):
        with iosmem.phase("burst"):
            visit(wda_session, "Burst")


@pytest.mark.iosmem(reclaim_after_warning="2MB", leak_per_iteration=None)
def test_purging_cache_gives_memory_back(wda_session, iosmem):
    """A cache that grows per visit (by design) and is purged by a memory warning."""
    for _ in range(6):
        visit(wda_session, "Purging Cache")
    iosmem.mark("cache filled")
    # Warnings reach the screens that are alive, as UIKit does: open it again.
    wda_session(label="Purging Cache").click()
    iosmem.memory_warning()
    wda_session(label="Back").click()


def test_home_screen_source_and_state(wda_client, wda_session, iosmem):
    """The app under test speaks WebDriverAgent: source tree, app state, element lookups."""
    assert "XCUIElementTypeApplication" in wda_client.source()
    assert wda_session(label="Clean").exists
    assert not wda_session(label="No such button").exists
    iosmem.mark("checked home screen")
