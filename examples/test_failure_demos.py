"""Each gate failing for the reason it exists.

These are demonstrations: ``pytest examples`` expects them to fail
(``xfail(strict=True)``), ``pytest examples --show-failures`` shows their
real messages.  Each leaky screen of the reference app reproduces a leak iOS
apps really have, with a known size per visit (see docs/refapp.md).
"""

import pytest

from test_screens import visit


@pytest.mark.demo_failure("leak")
@pytest.mark.parametrize(
    "screen",
    [
        "Timer Detail",  # a repeating timer retains its target: the detail screen never goes away
        "Retain Cycle",  # a closure captures self strongly: view controller <-> closure cycle
        "Observer",  # a notification observer is never removed
        "Map",  # annotations added on every visit, never cleared
    ],
)
@pytest.mark.iosmem(leak_per_iteration="128KB")
# record allocation stacks (tracemalloc, 24 frames): the failure says where the leak was allocated
@pytest.mark.iosmem_app(env={"IOSMEM_ALLOCATION_STACKS": "24"})
def test_leaky_screen(wda_session, iosmem, screen):
    for _ in iosmem.iterations(6, warmup=2):
        visit(wda_session, screen)


@pytest.mark.demo_failure("objects")
@pytest.mark.iosmem(leak_per_iteration="128KB")
def test_photo_detail_keeps_its_view_controller(wda_session, iosmem):
    """One PhotoDetailViewController (256 B) survives every visit: the image loader keeps the
    completion block that captures it.  About 1 KB a visit is far below the footprint leak
    limit, so the footprint gate alone passes; counting the controllers finds it
    (the object check, on by default on the reference app)."""
    for _ in iosmem.iterations(6, warmup=2):
        visit(wda_session, "Photo Detail")


@pytest.mark.demo_failure("growth")
@pytest.mark.iosmem_app(args=["--size", "stubborn_cache=2MB"])
@pytest.mark.iosmem(max_growth="10%", leak_per_iteration=None)
def test_cache_grew_since_the_baseline(wda_session, iosmem, request):
    """A pull request that makes a cache hold 2 MB per visit instead of 512 KB.

    Its baseline in baselines/ was recorded with the previous version of the
    screen (``--size stubborn_cache=512KB``, the reference app's default); this
    version of the app holds four times as much, and the gate says by how much.
    """
    if request.config.getoption("iosmem_update_baselines"):
        # an update run compares with nothing, and this baseline must stay the previous version's
        pytest.skip("the growth demonstration keeps the previous version's baseline: not run when updating")
    if iosmem.baseline is None:
        pytest.skip(f"no baseline for profile {iosmem.target.profile().key}: the growth gate needs one")
    for _ in range(8):
        visit(wda_session, "Stubborn Cache")


@pytest.mark.demo_failure("peak")
@pytest.mark.iosmem(max_peak="30MB")
def test_burst_over_a_tight_peak_limit(wda_session, iosmem):
    visit(wda_session, "Burst")


@pytest.mark.demo_failure("headroom")
@pytest.mark.iosmem_app(args=["--size", "burst=200MB"])
@pytest.mark.iosmem(jetsam_headroom="50%")
def test_burst_too_close_to_the_jetsam_limit(wda_session, iosmem):
    """A 200 MB burst under a 300 MB limit: the app survives, with a third of its limit left."""
    visit(wda_session, "Burst")


@pytest.mark.demo_failure("terminated")
@pytest.mark.iosmem_app(args=["--size", "burst=400MB"])
def test_burst_killed_by_jetsam(wda_session, iosmem):
    """A 400 MB burst passes the 300 MB limit: the app is killed as iOS's jetsam would."""
    visit(wda_session, "Burst")


@pytest.mark.demo_failure("no-reclaim")
@pytest.mark.iosmem(reclaim_after_warning="2MB", leak_per_iteration=None)
def test_cache_that_ignores_memory_warnings(wda_session, iosmem):
    for _ in range(6):
        visit(wda_session, "Stubborn Cache")
    wda_session(label="Stubborn Cache").click()
    iosmem.memory_warning()
    wda_session(label="Back").click()
