"""The robust trend statistics, on exactly the series that broke the old ones (issue 10)."""

import itertools
import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_iosmem.verdict.stats import check_finite, exceeds, iterations_for_alpha, kendall_null, kendall_s, mann_kendall, repeated_median, sen_interval, smallest_p, theil_sen

KB = 1000
MB = 1000 * KB


def brute_force_p(ys):
    """P(S >= s) and P(S <= s) over every permutation of the readings (the definition of the exact test)."""
    s = kendall_s(ys)
    perms = list(itertools.permutations(ys))
    up = sum(kendall_s(p) >= s for p in perms)
    down = sum(kendall_s(p) <= s for p in perms)
    return up / len(perms), down / len(perms)


def test_repeated_median_ignores_a_far_last_reading_where_theil_sen_reports_173kb():
    ys = [40 * MB, 40 * MB + 4 * KB, 40 * MB + 8 * KB, 41 * MB]
    assert repeated_median(ys) == 4 * KB
    slope, _ = theil_sen(ys)
    assert slope == pytest.approx(168_667, abs=1)  # what the old estimator reported (the issue's +173 KB in KiB terms)


@pytest.mark.parametrize("n", [4, 5, 6, 7, 8])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("outlier", [-50 * MB, +50 * MB])
def test_repeated_median_is_exact_with_one_outlier_anywhere(n, where, outlier):
    ys = [10 * MB + 256 * KB * i for i in range(n)]
    i = {"first": 0, "middle": n // 2, "last": n - 1}[where]
    ys[i] += outlier
    assert repeated_median(ys) == 256 * KB


def test_theil_sen_breaks_down_with_one_end_outlier_of_four():
    ys = [10 * MB + 256 * KB * i for i in range(4)]
    ys[-1] += 50 * MB
    assert theil_sen(ys)[0] > 5 * MB  # 3 of its 6 pairwise slopes are the outlier's


def test_positions_come_from_the_iteration_index():
    # iteration 2 has no reading: the true slope is 300 KB, shifting x would read 375 KB
    xs = [0, 1, 3, 4, 5]
    ys = [50 * MB + 300 * KB * x for x in xs]
    assert repeated_median(ys, xs) == 300 * KB
    assert theil_sen(ys, xs)[0] == 300 * KB
    assert repeated_median(ys) == pytest.approx(375 * KB)  # what the shifted positions would say


def test_x_positions_must_match_and_increase():
    with pytest.raises(ValueError, match="3 x positions for 2 values"):
        repeated_median([1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match="strictly increasing"):
        repeated_median([1, 2, 3], [0, 2, 2])


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("fn", [mann_kendall, repeated_median, lambda ys: exceeds(ys, None, 0), lambda ys: theil_sen(ys)])
def test_non_finite_readings_are_a_clear_error(fn, bad):
    with pytest.raises(ValueError, match=r"\[2\].*finite"):
        fn([1.0, 2.0, bad, 4.0, 5.0])


def test_check_finite_names_a_non_number():
    with pytest.raises(ValueError, match=r"y\[1\] = 'x' is not a number"):
        check_finite([1, "x"], "y")


def test_kendall_null_without_ties_is_mahonian():
    assert kendall_null((1, 1, 1, 1)) == (1, 3, 5, 6, 5, 3, 1)
    assert sum(kendall_null((1,) * 8)) == math.factorial(8)


def test_kendall_null_with_ties_counts_distinct_arrangements():
    counts = kendall_null((2, 1, 1))
    assert counts == (1, 2, 3, 3, 2, 1)
    assert sum(counts) == math.factorial(4) // 2
    assert sum(kendall_null((1, 2, 3))) == math.factorial(6) // (2 * 6)


def test_perfect_trend_of_six_is_one_in_720():
    t = mann_kendall([1, 2, 3, 4, 5, 6])
    assert t.s == 15
    assert t.p_increasing == pytest.approx(1 / 720)
    assert t.p_decreasing == 1.0


def test_tied_short_series_gets_the_exact_p_not_the_normal_approximation():
    for ys in ([5, 5, 5, 6, 7, 8, 8, 9], [5, 5, 5, 6]):
        t = mann_kendall(ys)
        up, down = brute_force_p(ys)
        assert t.p_increasing == pytest.approx(up, abs=1e-15)
        assert t.p_decreasing == pytest.approx(down, abs=1e-15)
    ys = [5, 5, 5, 6]
    assert t.p_increasing == 0.25  # 1 of the 4 distinct arrangements has the 6 last
    # the old normal approximation with tie and continuity correction
    groups = Counter(ys).values()
    n = len(ys)
    var = (n * (n - 1) * (2 * n + 5) - sum(g * (g - 1) * (2 * g + 5) for g in groups)) / 18
    normal = 0.5 * math.erfc((t.s - 1) / math.sqrt(var) / math.sqrt(2))
    assert normal == pytest.approx(0.1855, abs=1e-4)  # 0.064 too small: more than alpha's size


def test_a_flat_series_is_no_trend_either_way():
    t = mann_kendall([5, 5, 5, 5, 5])
    assert (t.s, t.p_increasing, t.p_decreasing) == (0, 1.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=2, max_size=7))
def test_exact_p_with_ties_equals_enumeration_of_all_permutations(ys):
    t = mann_kendall(ys)
    up, down = brute_force_p(ys)
    assert t.p_increasing == pytest.approx(up, abs=1e-12)
    assert t.p_decreasing == pytest.approx(down, abs=1e-12)


def test_false_positive_rate_on_noise_is_exactly_20_in_720():
    # Pure noise of six distinct values: every ordering is equally likely, so the false positive
    # rate at alpha 0.05 is the share of the 720 orderings with p <= 0.05: S >= 11, exactly 20 of them.
    hits = sum(mann_kendall(list(p)).p_increasing <= 0.05 for p in itertools.permutations(range(6)))
    assert hits == 20
    assert sum(mann_kendall(list(p)).s >= 11 for p in itertools.permutations(range(6))) == 20


def test_running_maximum_of_the_issue_does_not_exceed_128kb():
    ys = [4_800_000, 6_000_000, 6_200_000, 6_400_000, 6_500_000, 6_500_000]
    assert mann_kendall(ys).p_increasing == pytest.approx(brute_force_p(ys)[0])
    assert mann_kendall(ys).p_increasing < 0.05  # monotonic: "it goes up" is significant
    e = exceeds(ys, None, 128 * KB)  # "it goes up faster than 128 KB per iteration" is not
    assert e.s == 5
    assert e.p_above == pytest.approx(169 / 720)


def test_exceeds_is_the_trend_test_of_the_series_minus_the_limit_line():
    rng = random.Random(3)
    for _ in range(50):
        ys = [rng.randrange(0, 2 * MB) for _ in range(7)]
        xs = [0, 1, 2, 4, 5, 6, 8]
        e = exceeds(ys, xs, 100 * KB)
        t = mann_kendall([y - 100 * KB * x for x, y in zip(xs, ys)])
        assert (e.s, e.p_above, e.p_below) == (t.s, t.p_increasing, t.p_decreasing)


@settings(max_examples=50, deadline=None)
@given(
    st.integers(4, 12),
    st.integers(-500_000, 500_000),
    st.lists(st.integers(-20_000, 20_000), min_size=12, max_size=12),
)
def test_sen_interval_is_the_set_of_slopes_the_kendall_tests_do_not_reject(n, slope, noise):
    ys = [10 * MB + slope * i + noise[i] for i in range(n)]
    low, high = sen_interval(ys, None, 0.05)
    assert low <= high
    if math.isfinite(low):
        eps = 1 / 997  # pairwise slopes are fractions with denominators <= 11: never this close
        assert exceeds(ys, None, low - eps).p_above <= 0.05  # below the interval: "faster than b" holds
        assert exceeds(ys, None, low + eps).p_above > 0.05
        assert exceeds(ys, None, high - eps).p_below > 0.05
        assert exceeds(ys, None, high + eps).p_below <= 0.05


def test_sen_interval_of_an_exact_line_is_the_slope():
    assert sen_interval([7 * i for i in range(6)], None, 0.05) == (7.0, 7.0)


def test_sen_interval_is_unbounded_when_alpha_cannot_be_reached():
    assert sen_interval([1, 2, 3], None, 0.05) == (-math.inf, math.inf)  # 1/3! = 0.167


def test_smallest_p_and_the_iterations_an_alpha_needs():
    assert smallest_p(4) == 1 / 24
    assert iterations_for_alpha(0.05) == 4
    assert iterations_for_alpha(0.01) == 5  # 1/24 > 0.01 >= 1/120
    assert iterations_for_alpha(0.001) == 7


def test_theil_sen_recovers_a_slope_despite_one_outlier():
    ys = [100 + 7 * i for i in range(8)]
    ys[5] = 10_000  # one wild reading
    slope, intercept = theil_sen(ys)
    # 21 of the 28 pairwise slopes are exactly 7 (the 7 through the outlier: 5 above, 2 below),
    # so the median is exactly 7; the intercepts are 100 but one: the median is exactly 100.
    assert slope == 7
    assert intercept == 100


def test_theil_sen_needs_two_points():
    with pytest.raises(ValueError):
        theil_sen([1])
    with pytest.raises(ValueError):
        repeated_median([1])


def test_long_series_use_the_normal_approximation_close_to_the_exact_count():
    from pytest_iosmem.verdict.stats import EXACT_MAX_N

    rng = random.Random(11)
    n = EXACT_MAX_N
    ys = [rng.randrange(0, 40) + i // 3 for i in range(n)]  # a weak trend, with ties
    exact = mann_kendall(ys)
    assert exact.exact
    approx = mann_kendall(ys + [ys[-1] + 1])  # one more reading: past the exact limit
    assert not approx.exact
    assert approx.p_increasing == pytest.approx(exact.p_increasing, abs=0.02)
    t = mann_kendall(list(range(500)))
    assert (t.s, t.p_decreasing, t.exact) == (124_750, 1.0, False)
    assert t.p_increasing < 1e-100
    low, high = sen_interval([3 * i + (i % 7) for i in range(200)], None, 0.05)
    assert low < 3.05 and high > 2.95 and low <= high
