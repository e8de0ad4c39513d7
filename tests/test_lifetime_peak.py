"""A test's peak is its own, even when the app (and its OS lifetime maximum) outlives the test.

The target here is a stand-in at the Target protocol seam: it stands for the
simulator/macOS local target, whose Reading.peak is libproc's
``ri_lifetime_max_phys_footprint`` (the process's whole life).
"""

from pytest_iosmem.verdict.checks import analyse
from pytest_iosmem.verdict.policy import Policy
from pytest_iosmem.sampler import Sampler
from pytest_iosmem.targets.base import App, Reading
from pytest_iosmem.timeline import Timeline

MB = 1_000_000
APP = App(pid=1, name="shared app", target_kind="scripted")


class LifetimeMaxTarget:
    """One long-lived app: each read gives (footprint, lifetime max so far), like libproc."""

    kind = "scripted"

    def __init__(self):
        self.footprint = 0
        self.lifetime_max = 0

    def set(self, footprint):
        self.footprint = footprint
        self.lifetime_max = max(self.lifetime_max, footprint)

    def spike(self, footprint):
        """A spike between two reads: only the lifetime maximum remembers it."""
        self.lifetime_max = max(self.lifetime_max, footprint)

    def read(self, app):
        return Reading(self.footprint, self.lifetime_max)

    def poll_termination(self, app):
        return None

    def drain_events(self, app):
        return []


def measure(target, steps):
    """One test on the shared app: a read per step (the sampler's reads, without its thread)."""
    timeline = Timeline()
    sampler = Sampler(target, APP, timeline, interval=1)
    for step in steps:
        step()
        sampler.sample_once()
    return timeline


def test_a_later_test_does_not_inherit_an_earlier_tests_peak():
    target = LifetimeMaxTarget()
    first = measure(target, [lambda: target.set(100 * MB), lambda: target.set(500 * MB), lambda: target.set(110 * MB)])
    assert first.peak == 500 * MB
    second = measure(target, [lambda: target.set(110 * MB), lambda: target.set(120 * MB), lambda: target.set(115 * MB)])
    assert second.peak == 120 * MB  # the sampled maximum: the lifetime max (500 MB) is the first test's
    verdict = analyse(second, Policy(max_peak=200 * MB, max_growth=None, leak_per_iteration=None), None, None)
    assert not [f for f in verdict.findings if f.kind == "peak"]


def test_a_spike_between_samples_during_this_test_still_counts():
    target = LifetimeMaxTarget()
    measure(target, [lambda: target.set(500 * MB)])  # an earlier test's peak
    steps = [lambda: target.set(110 * MB), lambda: target.spike(650 * MB), lambda: target.set(115 * MB)]
    later = measure(target, steps)
    assert later.peak == 650 * MB  # the lifetime max rose during this test: a spike the samples missed


def test_the_peak_survives_the_report_round_trip():
    target = LifetimeMaxTarget()
    measure(target, [lambda: target.set(500 * MB)])
    later = measure(target, [lambda: target.set(100 * MB)])
    again = Timeline.from_dict(later.to_dict())
    assert again.peak == later.peak == 100 * MB
