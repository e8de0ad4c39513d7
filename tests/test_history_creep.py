"""Creep over a series (pure): the reference, the change points, the steps named, the limit."""

from __future__ import annotations

import random

import pytest

from pytest_iosmem.history.creep import change_points, judge_creep, noise_sigma, parse_since, reference_index
from pytest_iosmem.history.store import SeriesPoint

pytest.importorskip("ruptures")

MB = 1_000_000


def series(values, tags=None):
    tags = tags or {}
    return [SeriesPoint(i, f"2026-11-{i:02d}T12:00:00+00:00", f"c{i:03d}", "main", tags.get(i), "passed", v)
            for i, v in enumerate(values, 1)]


@pytest.mark.parametrize(
    "text, kind, value",
    [("", "start", None), ("start", "start", None), ("10", "runs", 10), ("10 runs", "runs", 10),
     ("runs:3", "runs", 3), ("2026-11-05", "date", "2026-11-05"), ("tag:v2.1", "ref", "v2.1"),
     ("v2.1", "ref", "v2.1"), ("abc1234", "ref", "abc1234")],
)
def test_since_is_a_start_a_count_a_date_or_a_name(text, kind, value):
    since = parse_since(text)
    assert (since.kind, since.value) == (kind, value)


@pytest.mark.parametrize("bad", ["0 runs", "2026-13-40", "two words"])
def test_a_bad_reference_says_what_is_accepted(bad):
    with pytest.raises(ValueError, match="runs|date|tag"):
        parse_since(bad)


def test_reference_by_count_date_tag_and_commit():
    points = series([1.0] * 10, tags={4: "v1.0"})
    assert reference_index(points, parse_since("3 runs")) == (7, None)
    assert reference_index(points, parse_since("2026-11-06")) == (5, None)
    assert reference_index(points, parse_since("v1.0")) == (3, None)
    assert reference_index(points, parse_since("c008")) == (7, None)
    index, note = reference_index(points, parse_since("v9"))
    assert index == 0 and "v9" in note


def test_change_points_find_each_step_and_nothing_in_noise():
    rng = random.Random(3)
    steady = [35 * MB + rng.gauss(0, 12_000) for _ in range(30)]
    assert change_points(steady) == []
    stepped = [v + (i // 3) * 315_000 for i, v in enumerate(steady)]
    assert change_points(stepped) == [3 * k for k in range(1, 10)]


def test_one_outlier_is_not_a_level():
    values = [35 * MB] * 10 + [40 * MB] + [35 * MB] * 10
    assert change_points(values) == []


def test_noise_is_robust_to_steps_and_floored():
    assert noise_sigma([10 * MB] * 5) == pytest.approx(10 * MB * 0.001)
    values = [10 * MB, 10 * MB + 4096, 10 * MB, 13 * MB]
    assert noise_sigma(values) < 50_000  # the 3 MB step is not noise


def test_creep_past_the_limit_names_the_steps_though_each_was_small():
    values = [35 * MB * 1.009 ** (i // 3) for i in range(1, 18)]
    now = 35 * MB * 1.009 ** 6
    creep = judge_creep(series(values), now, parse_since("start"), 0.05, noise_floor=MB, commit="c018")
    assert creep.failed and creep.fraction == pytest.approx(1.009 ** 6 - 1, rel=1e-3)
    assert [s.run_id for s in creep.steps] == [3, 6, 9, 12, 15, None]
    assert all(s.fraction == pytest.approx(0.009, abs=1e-4) for s in creep.steps)
    message = creep.message()
    assert "since run 1 c001" in message and "at run 9 c009 2026-11-09" in message and "at this run c018" in message


def test_under_the_limit_or_the_noise_floor_passes():
    values = [35 * MB] * 10
    assert not judge_creep(series(values), 35 * MB * 1.04, parse_since("start"), 0.05).failed
    small = [10 * MB] * 10
    creep = judge_creep(series(small), 10 * MB * 1.08, parse_since("start"), 0.05, noise_floor=MB)
    assert not creep.failed  # +8% but 800 KB: under the 1 MB noise floor


def test_the_reference_moves_the_baseline_of_the_creep():
    values = [30 * MB] * 5 + [33 * MB] * 5  # a +10% step, accepted at the tag v2
    points = series(values, tags={6: "v2"})
    assert judge_creep(points, 33.3 * MB, parse_since("start"), 0.05).failed
    assert not judge_creep(points, 33.3 * MB, parse_since("v2"), 0.05).failed
    assert not judge_creep(points, 33.3 * MB, parse_since("4 runs"), 0.05).failed


def test_no_history_is_no_verdict():
    assert judge_creep([], 1.0, parse_since("start"), 0.05) is None
