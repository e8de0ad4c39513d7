import itertools
import random

import pytest

from pytest_iosmem.stats import mann_kendall, theil_sen


def test_theil_sen_recovers_a_slope_despite_one_outlier():
    ys = [100 + 7 * i for i in range(8)]
    ys[5] = 10_000  # one wild reading
    slope, intercept = theil_sen(ys)
    assert slope == pytest.approx(7, rel=0.15)
    assert intercept == pytest.approx(100, abs=30)


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
    t = mann_kendall([5, 5, 5, 6, 7, 8, 8, 9])
    assert not t.exact
    assert t.p_increasing < 0.01
    flat = mann_kendall([5, 5, 5, 5, 5])
    assert flat.p_increasing == 1.0


def test_mann_kendall_false_positive_rate_on_noise_is_about_alpha():
    rng = random.Random(7)
    hits = sum(mann_kendall([rng.random() for _ in range(6)]).p_increasing < 0.05 for _ in range(4000))
    # For n=6 the test is discrete: p < 0.05 means S >= 11, which pure noise reaches 2.78% of the time.
    assert 0.018 < hits / 4000 < 0.038
