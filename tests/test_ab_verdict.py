"""The pure A/B verdict (verdict/ab.py): its limit is the growth check's own allowance, its decisions are worded once."""

from pytest_iosmem.timeline import Timeline
from pytest_iosmem.units import Tolerance
from pytest_iosmem.values import Baseline
from pytest_iosmem.verdict.ab import decide
from pytest_iosmem.verdict.checks import analyse
from pytest_iosmem.verdict.policy import Policy, allowance

MB = 1_000_000


def pairs_of(base: int, shift: int, n: int = 6) -> list[tuple[dict, dict]]:
    """``n`` pairs whose head is ``shift`` bytes over the base, with a little noise (page multiples)."""
    return [({"end": base + 4096 * i, "peak": base + 4096 * i},
             {"end": base + shift + 4096 * ((i * 5) % 3), "peak": base + shift + 4096 * ((i * 5) % 3)}) for i in range(n)]


def test_the_ab_limit_is_the_growth_checks_allowance_noise_floor_included():
    """Issue 21 item 6: 5% of a 14 MB base is 700 KB, but the growth check never flags less than the 1 MB noise floor."""
    policy = Policy(max_growth=Tolerance(fraction=0.05), leak_per_iteration=None)
    decisions = decide(pairs_of(14 * MB, 800_000), policy, planned=6, confidence=0.95)
    limits = {d.check: d.limit for d in decisions}
    assert limits == {"ab-end": MB, "ab-peak": MB}
    # the growth check against a baseline allows the same for the same reference
    assert policy.growth_allowance(14 * MB) == allowance(Tolerance(fraction=0.05), MB, 14 * MB) == MB
    # so +800 KB is clear in A/B, as it is against a baseline
    assert {d.outcome for d in decisions} == {"clear"}
    timeline = Timeline()
    timeline.add_sample(14 * MB + 800_000, t=0.0)
    assert analyse(timeline, policy, Baseline(end=14 * MB, peak=14 * MB + 800_000)).findings == []


def test_a_noise_floor_of_zero_leaves_the_tolerance_alone():
    policy = Policy(max_growth=Tolerance(fraction=0.01), leak_per_iteration=None, noise_floor=0)
    (end, _peak) = decide(pairs_of(14 * MB, 300_000), policy, planned=6, confidence=0.95)
    assert end.limit == int(0.01 * (14 * MB + 4096 * 2.5)) and end.outcome == "finding"
