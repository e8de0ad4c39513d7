"""Paired statistics: exact answers worked out by hand (tables of the signed-rank distribution)."""

import math

import pytest

from pytest_iosmem.verdict.decision import CLEAR, FINDING, INCONCLUSIVE, UNDECIDED
from pytest_iosmem.verdict.paired import _null_counts, combine, hl_interval, hodges_lehmann, judge_shift, min_pairs_for, signed_rank, walsh_averages


def test_walsh_averages_and_hodges_lehmann():
    assert walsh_averages([3, 1, 2]) == [1, 1.5, 2, 2, 2.5, 3]
    assert hodges_lehmann([3, 1, 2]) == 2
    # one wild pair moves the mean by 16 but the shift estimate by one step of the Walsh averages
    assert hodges_lehmann([10, 11, 12, 13, 14, 100]) == 12.5
    with pytest.raises(ValueError, match="not a finite number"):
        hodges_lehmann([1, float("nan")])


def test_null_distribution_of_w_plus():
    # subsets of {1,2,3}: sums 0,1,2,3(x2),4,5,6
    assert _null_counts(3) == (1, 1, 1, 2, 1, 1, 1)
    assert sum(_null_counts(10)) == 2**10


def test_exact_interval_uses_the_signed_rank_table():
    assert min_pairs_for(0.95) == 6  # P(W+ <= 0) = 1/64 <= 2.5%; with 5 pairs 1/32 > 2.5%
    assert hl_interval([5, 1, 4, 2, 3], 0.95) == (-math.inf, math.inf)
    assert hl_interval([6, 1, 5, 2, 4, 3], 0.95) == (1, 6)  # k = 1: the extreme Walsh averages
    # n = 8: P(W+ <= 3) = 5/256 <= 2.5% < P(W+ <= 4) = 7/256, so k = 4: 4th smallest and largest of 36
    assert hl_interval(list(range(1, 9)), 0.95) == (2.0, 7.0)


def test_signed_rank_exact_p_values_with_ties_and_zeros():
    r = signed_rank([1, 2, 3, 4, 5, 6])
    assert (r.w_plus, r.n, r.p_greater) == (21, 6, 1 / 64)
    assert signed_rank([-1, 2, 3, 4, 5, 6]).p_greater == 2 / 64
    tied = signed_rank([1, 1, -1, 0])  # the zero is dropped; three tied |d| share midrank 2
    assert (tied.n, tied.w_plus, tied.p_greater, tied.p_less) == (3, 4.0, 4 / 8, 7 / 8)
    assert signed_rank([0, 0]).p_greater == 1.0


def test_decisions_finding_clear_undecided():
    limit = 1000
    same = judge_shift("end", [-100, 50, 0, 20, -30, 10], limit, planned=6)
    assert same.outcome == CLEAR and (same.low, same.high) == (-100, 50)
    grown = judge_shift("end", [5000, 5100, 5200, 5300, 5400, 5500], limit, planned=6)
    assert grown.outcome == FINDING and grown.estimate == 5250 and grown.p == 1 / 64
    borderline = judge_shift("end", [500, 1500, 800, 1200, 900, 1100], limit, planned=6)
    assert borderline.outcome == UNDECIDED and "straddles the limit" in borderline.reason
    assert borderline.at_bound().outcome == INCONCLUSIVE
    early = judge_shift("end", [5000] * 5, limit, planned=6)
    assert early.outcome == UNDECIDED and "at least 6 are needed" in early.reason
    assert early.to_dict()["low"] is None  # JSON has no infinity


def test_combine_prefers_finding_then_undecided():
    a = judge_shift("end", [5000] * 6, 1000, 6)
    b = judge_shift("peak", [0] * 6, 1000, 6)
    c = judge_shift("leak", [5000] * 5, 1000, 6)
    assert combine([b]) == CLEAR
    assert combine([b, c]) == UNDECIDED
    assert combine([a, c]) == FINDING
    assert combine([b, c.at_bound()]) == INCONCLUSIVE


# -- issue 19: one test behind p, interval and outcome; the sequential level ---------------------


def test_p_interval_and_outcome_agree_under_ties():
    """Small-integer differences tie often; the outcome, p and interval must tell one story."""
    import random

    from pytest_iosmem.verdict.paired import judge_shift

    rng = random.Random(19)
    for _ in range(3000):
        n = rng.randint(6, 12)
        d = [rng.randint(-2, 6) for _ in range(n)]
        dec = judge_shift("end", d, 2, planned=6)
        assert (dec.outcome == "finding") == (dec.low > 2) == (dec.p <= 0.025), (d, dec)
        assert (dec.outcome == "clear") == (dec.high <= 2), (d, dec)


def test_differences_exactly_at_the_limit_are_clear():
    # "head may exceed base by the limit": six pairs exactly at it are within it
    d = judge_shift("end", [1000] * 6, 1000, planned=6)
    assert d.outcome == "clear" and d.high == 1000


def test_the_sequential_level_is_used_after_the_planned_pairs():
    # 7 pairs, one against: p = 2/128 is within 2.5% for one look, not for a look of a 6..20 plan
    diffs = [5000, 5100, 5200, 5300, 5400, 5500, -100]
    assert judge_shift("end", diffs, 1000, planned=6).outcome == "finding"
    d = judge_shift("end", diffs, 1000, planned=6, max_steps=20)
    assert d.outcome == "undecided" and d.p == 2 / 128
