"""The analysis on synthetic timelines: known slopes, noise, outliers, warm-up."""

import random

import pytest

from pytest_iosmem.verdict.findings import FindingKind
from pytest_iosmem.verdict.checks import analyse
from pytest_iosmem.verdict.metrics import estimate_leak
from pytest_iosmem.values import Baseline
from pytest_iosmem.verdict.policy import Policy
from pytest_iosmem.values import JetsamLimit
from pytest_iosmem.timeline import EventKind, IterationEnd, Timeline
from pytest_iosmem.units import Tolerance

MB = 1_000_000


def timeline_with(values, warmup=0, peak=None, end=None):
    tl = Timeline(clock=iter(range(10_000)).__next__)
    for i, v in enumerate(values):
        tl.add_sample(v, t=float(i))
        tl.add_iteration(IterationEnd(i, float(i), v, i < warmup, True, 0.2))
    if peak is not None:
        tl.add_sample(peak, t=float(len(values)))
    tl.end_footprint = values[-1] if end is None else end
    return tl


def kinds(verdict):
    return [f.kind for f in verdict.findings]


def test_known_slope_with_noise_is_estimated_and_reported():
    rng = random.Random(1)
    values = [50 * MB + 200_000 * i + rng.randint(-30_000, 30_000) for i in range(8)]
    v = analyse(timeline_with(values, warmup=2), Policy(leak_per_iteration=128_000))
    assert kinds(v) == [FindingKind.LEAK]
    leak = v.metrics.leak
    assert leak.n == 6
    assert leak.per_iteration == pytest.approx(200_000, rel=0.25)
    assert "per iteration over 6 iterations (trend p=" in v.findings[0].message
    assert "limit 128 KB" in v.findings[0].message


def test_warmup_growth_is_not_a_leak():
    values = [10 * MB, 30 * MB, 40 * MB] + [40 * MB + d for d in (0, 20_000, -10_000, 5_000, 0, 12_000)]
    v = analyse(timeline_with(values, warmup=3), Policy())
    assert v.passed, v.failure_message()
    # a definite "no leak", not merely no finding (inconclusive would pass too under inconclusive=warn)
    assert [(d.check, d.outcome) for d in v.decisions] == [("leak", "clear")]


OUTLIER_CASES = [(pos, jump) for pos in ("first", "middle", "last") for jump in (8 * MB, -8 * MB)]


def _with_outlier(values, pos, jump):
    values = list(values)
    values[{"first": 0, "middle": len(values) // 2, "last": len(values) - 1}[pos]] += jump
    return values


@pytest.mark.parametrize("n", [5, 6, 8, 12])
@pytest.mark.parametrize("pos, jump", OUTLIER_CASES)
def test_one_outlier_does_not_fake_a_leak(n, pos, jump):
    """A spike or a dip anywhere (the ends are the hard cases) in a flat series of n >= 5 iterations.

    Not promised for n = 4: there a spike in the last (or a dip in the first)
    iteration reaches p = 1/24 < 0.05 with a Theil-Sen slope above the limit.
    """
    values = _with_outlier([40 * MB + i * 10 for i in range(n)], pos, jump)
    v = analyse(timeline_with(values), Policy())
    assert FindingKind.LEAK not in kinds(v)


@pytest.mark.parametrize("n", [12, 20])
@pytest.mark.parametrize("pos, jump", OUTLIER_CASES)
def test_one_outlier_does_not_hide_a_leak(n, pos, jump):
    """A dip (a cache purge) or a spike anywhere never clears a 300 KB/iteration leak over 12 or 20 iterations.

    Over 20 it is a finding wherever the outlier is.  Over 12, an outlier in
    the later half can keep the later-half condition from holding: the leak is
    then *inconclusive* (a warning and its own verdict, never a pass), and the
    sequential loop adds iterations until it is found (tests/test_verdict.py).
    """
    values = _with_outlier([40 * MB + 300_000 * i for i in range(n)], pos, jump)
    v = analyse(timeline_with(values), Policy())
    [leak] = [d for d in v.decisions if d.check == "leak"]
    if n == 20 or pos == "first":
        assert kinds(v) == [FindingKind.LEAK]
    else:
        assert leak.outcome in ("finding", "inconclusive"), leak
    assert leak.outcome != "clear"
    assert v.metrics.leak.per_iteration == 300_000  # the robust slope: the outlier's pairs are a minority


def test_one_outlier_in_the_middle_of_eight_does_not_hide_a_leak():
    values = [40 * MB + 300_000 * i for i in range(8)]
    values[4] = 30 * MB  # a dip (e.g. a cache purge) in the middle
    v = analyse(timeline_with(values), Policy())
    assert kinds(v) == [FindingKind.LEAK]
    assert v.metrics.leak.per_iteration == 300_000


def test_slope_below_limit_passes_even_if_significant():
    values = [40 * MB + 50_000 * i for i in range(8)]
    v = analyse(timeline_with(values), Policy(leak_per_iteration=128_000))
    assert v.passed
    assert v.metrics.leak.p_value < 0.01
    # clearly slower than the limit: clear, not just "no finding"
    assert [(d.check, d.outcome) for d in v.decisions] == [("leak", "clear")]


def test_too_few_iterations_are_a_note_not_a_verdict():
    v = analyse(timeline_with([1 * MB, 5 * MB, 9 * MB]), Policy())
    assert v.passed
    assert any("at least 4" in n for n in v.notes)


def test_growth_over_baseline_respects_tolerance_and_noise_floor():
    tl = timeline_with([50 * MB] * 6)
    policy = Policy(max_growth=Tolerance(fraction=0.08), noise_floor=2 * MB)
    assert analyse(tl, policy, Baseline(end=47 * MB, peak=47 * MB)).passed  # +6.4%
    grown = analyse(tl, policy, Baseline(end=40 * MB, peak=40 * MB))
    assert kinds(grown) == [FindingKind.GROWTH, FindingKind.GROWTH]
    assert "over the baseline 40.0 MB" in grown.findings[0].message
    assert "+25.0%" in grown.findings[0].message
    # a small app: +20% is only 600 KB, below the 1 MB noise floor
    small = timeline_with([3_600_000] * 6)
    assert analyse(small, Policy(noise_floor=MB), Baseline(end=3_000_000, peak=3_000_000)).passed


def test_no_baseline_means_no_growth_check():
    assert analyse(timeline_with([90 * MB] * 6), Policy()).passed


def test_peak_limit_counts_the_target_lifetime_peak():
    tl = timeline_with([50 * MB] * 6)
    tl.note_peak(50 * MB)  # libproc's lifetime max at the test's first read
    tl.note_peak(310 * MB)  # then it saw a spike between samples, during this test
    v = analyse(tl, Policy(max_peak=300 * MB))
    assert kinds(v) == [FindingKind.PEAK]
    assert v.metrics.peak == 310 * MB


def test_headroom_against_the_jetsam_limit():
    tl = timeline_with([700 * MB] * 6)
    limit = JetsamLimit(1400 * MB, "test table")
    assert analyse(tl, Policy(jetsam_headroom=0.5), jetsam_limit=limit).passed
    tl2 = timeline_with([800 * MB] * 6)
    v = analyse(tl2, Policy(jetsam_headroom=0.5), jetsam_limit=limit)
    assert kinds(v) == [FindingKind.HEADROOM]
    assert "test table" in v.findings[0].message
    unknown = analyse(tl2, Policy(jetsam_headroom=0.5), jetsam_limit=None)
    assert unknown.passed and any("limit of this target is unknown" in n for n in unknown.notes)


def test_reclaim_after_warning():
    tl = timeline_with([60 * MB] * 6)
    tl.add_event(EventKind.MEMORY_WARNING, "sent", before=60 * MB, after=58 * MB, reclaimed=2 * MB, settled=True)
    v = analyse(tl, Policy(reclaim_after_warning=10 * MB))
    assert kinds(v) == [FindingKind.NO_RECLAIM]
    assert "gave back 2.0 MB" in v.findings[0].message
    assert v.metrics.reclaimed == 2 * MB
    tl.events.clear()
    tl.add_event(EventKind.MEMORY_WARNING, "sent", before=60 * MB, after=45 * MB, reclaimed=15 * MB, settled=True)
    assert analyse(tl, Policy(reclaim_after_warning=10 * MB)).passed
    unsupported = analyse(timeline_with([1 * MB] * 4), Policy(reclaim_after_warning=MB), warnings_supported=False)
    assert unsupported.passed and any("cannot send a memory warning" in n for n in unsupported.notes)


def test_termination_is_a_finding_with_the_last_footprint():
    tl = timeline_with([60 * MB] * 3)
    tl.add_event(EventKind.TERMINATED, "jetsam: per-process-limit", reason="jetsam", last_footprint=412 * MB)
    v = analyse(tl, Policy())
    assert kinds(v) == [FindingKind.TERMINATED]
    assert "jetsam: per-process-limit" in v.findings[0].message and "at 412 MB" in v.findings[0].message


def test_estimate_leak_of_short_series():
    assert estimate_leak([]) is None
    assert estimate_leak([5]) is None
    e = estimate_leak([1, 2])
    assert e.per_iteration == 1 and e.n == 2


def test_verdict_serialises_to_plain_json():
    import json

    values = [40 * MB + 300_000 * i for i in range(8)]
    d = analyse(timeline_with(values), Policy()).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["passed"] is False and d["findings"][0]["kind"] == "leak"
