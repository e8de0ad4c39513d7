import itertools
import random

import pytest

from pytest_iosmem.stats import mann_kendall, theil_sen


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


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_mann_kendall_exact_p_matches_enumeration(n):
    rng = random.Random(n)
    for _ in range(5):
        ys = rng.sample(range(1000), n)
        s = mann_kendall(ys).s
        perms = list(itertools.permutations(range(n)))
        at_least = sum(1 for p in perms if mann_kendall(list(p)).s >= s)
        assert mann_kendall(ys).p_increasing == pytest.approx(at_least / len(perms))
        assert mann_kendall(ys).exact


def test_mann_kendall_perfect_trend_of_six_is_one_in_720():
    t = mann_kendall([1, 2, 3, 4, 5, 6])
    assert t.s == 15
    assert t.p_increasing == pytest.approx(1 / 720)


def test_mann_kendall_with_ties_uses_the_normal_approximation():
    import math

    t = mann_kendall([5, 5, 5, 6, 7, 8, 8, 9])
    assert not t.exact
    # S counts concordant minus discordant pairs: 28 pairs, 4 of them tied, none discordant.
    assert t.s == 24
    # Tie-corrected variance (ties: three 5s, two 8s) and continuity correction, by the textbook formula.
    var = (8 * 7 * 21 - (3 * 2 * 11 + 2 * 1 * 9)) / 18
    assert t.p_increasing == pytest.approx(0.5 * math.erfc((24 - 1) / math.sqrt(var) / math.sqrt(2)), rel=1e-12)
    flat = mann_kendall([5, 5, 5, 5, 5])
    assert flat.p_increasing == 1.0


def test_mann_kendall_false_positive_rate_on_noise_is_exactly_20_in_720():
    # Pure noise of six distinct values: every ordering is equally likely, so the false positive
    # rate at alpha 0.05 is the share of the 720 orderings with p < 0.05: S >= 11, exactly 20 of them.
    hits = sum(mann_kendall(list(p)).p_increasing < 0.05 for p in itertools.permutations(range(6)))
    assert hits == 20
    assert sum(mann_kendall(list(p)).s >= 11 for p in itertools.permutations(range(6))) == 20
