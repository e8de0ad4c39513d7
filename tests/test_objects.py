"""The object-leak rule (pytest_iosmem/objects.py) on its hard cases.

Histograms are lists of ClassStat, as targets return them: index 0 is read
before the first measured iteration, index i after measured iteration i.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_iosmem.verdict.objects import DEFAULT_WATCH, MIN_AFTER_GAP, MIN_DELTAS, ObjectRules, as_histogram, judge_objects
from pytest_iosmem.values import ClassStat

VC = "DetailViewController"
ALL = ObjectRules(watch=())


def series(counts, name=VC, size=480):
    """One histogram per entry of ``counts`` (None: not read; a count of None for the class: absent)."""
    out = []
    for c in counts:
        if c is None:
            out.append(None)
            continue
        rows = [ClassStat("NSObject", 100, 1600)]  # a class that does not change
        if c != "absent":
            rows.append(ClassStat(name, c, c * size))
        out.append(rows)
    return out


def leak_names(verdict):
    return [leak.name for leak in verdict.leaks]


def test_one_more_instance_in_every_iteration_is_a_leak_with_a_one_glance_message():
    v = judge_objects(series([0, 1, 2, 3, 4, 5, 6]), ObjectRules())
    assert v.judged and leak_names(v) == [VC]
    leak = v.leaks[0]
    assert leak.message() == (
        "objects: DetailViewController +1 per iteration in 6 of 6 iterations (6 alive, 0 expected), +480 B per iteration"
    )
    assert leak.deltas == (1, 1, 1, 1, 1, 1)
    assert v.to_dict()["leaks"][0]["alive"] == 6


def test_a_delta_of_zero_in_one_iteration_is_not_a_leak():
    assert judge_objects(series([0, 1, 2, 2, 3, 4, 5]), ObjectRules()).leaks == []
    # ...wherever it is: first or last iteration
    assert judge_objects(series([0, 0, 1, 2, 3, 4, 5]), ObjectRules()).leaks == []
    assert judge_objects(series([0, 1, 2, 3, 4, 5, 5]), ObjectRules()).leaks == []


def test_more_than_one_per_iteration_is_a_leak_and_the_rate_is_reported():
    v = judge_objects(series([2, 4, 6, 9, 11, 13, 15]), ObjectRules())
    assert v.leaks[0].message().startswith("objects: DetailViewController +2.17 per iteration in 6 of 6 iterations (15 alive, 2 expected)")


def test_counts_that_shrink_are_never_a_leak():
    assert judge_objects(series([6, 5, 4, 3, 2, 1, 0]), ALL).leaks == []
    assert judge_objects(series([0, 3, 6, 2, 5, 8, 11]), ALL).leaks == []  # one drop in the middle


def test_a_class_appearing_mid_series_counts_from_zero_there():
    # absent from the first three histograms that were read: its count there is 0, so no growth then
    v = judge_objects(series(["absent", "absent", "absent", 1, 2, 3, 4]), ObjectRules())
    assert v.leaks == []
    # absent only before the first measured iteration: it appeared in the first one, grew in every one
    v = judge_objects(series(["absent", 1, 2, 3, 4, 5, 6]), ObjectRules())
    assert leak_names(v) == [VC]
    assert v.leaks[0].counts == (0, 1, 2, 3, 4, 5, 6) and v.leaks[0].expected == 0


def test_a_missing_histogram_in_the_middle_leaves_the_check_undecided_until_enough_reads_follow():
    # issue 19: with the histogram read, [0, 1, 3, 3, 4, 5, 6] is no leak (it paused); the gap must not
    # make one of [0, 1, None, 3, 4, 5, 6]: undecided, the loop adds iterations
    assert judge_objects(series([0, 1, 3, 3, 4, 5, 6]), ObjectRules()).outcome == "clear"
    v = judge_objects(series([0, 1, None, 3, 4, 5, 6]), ObjectRules())
    assert (v.outcome, v.leaks, v.pending) == ("undecided", [], [VC])
    assert "6 consecutive iterations read after the last gap are needed" in v.reason
    v = judge_objects(series([0, 1, None, 3, 4, 5, 6, 7, 8, 9]), ObjectRules())
    assert leak_names(v) == [VC]
    assert v.leaks[0].deltas == (1, None, None, 1, 1, 1, 1, 1, 1)
    assert "in 9 of 9 iterations (9 alive, 0 expected, 1 histogram(s) not read)" in v.leaks[0].message()
    # across the gap it grew by 1 in two iterations: one of them had no growth
    assert judge_objects(series([0, 1, None, 2, 3, 4, 5]), ObjectRules()).outcome == "clear"


def test_deferred_deallocation_does_not_hide_a_leak():
    # +1 leaked per iteration, the screen's other objects freed one iteration late every other time
    v = judge_objects(series([0, 2, 2, 4, 4, 6, 6]), ObjectRules())
    assert leak_names(v) == [VC]
    # but a pause that lets the count fall below the leak's line is no leak
    assert judge_objects(series([0, 0, 2, 2, 4, 4]), ObjectRules()).outcome == "clear"


def test_histograms_not_read_at_the_end_leave_the_check_undecided():
    v = judge_objects(series([0, 1, 2, 3] + [None] * 7), ObjectRules())
    assert (v.outcome, v.leaks, v.pending) == ("undecided", [], [VC])
    assert v.decision().outcome == "undecided"


def test_a_missing_first_histogram_starts_the_series_at_the_first_one_read():
    v = judge_objects(series([None, 1, 2, 3, 4, 5, 6]), ObjectRules())
    assert v.outcome == "finding"  # nothing is hidden before the first histogram read
    assert v.leaks[0].message().startswith("objects: DetailViewController +1 per iteration in 5 of 6 iterations (6 alive, 1 expected")


def test_too_few_histograms_are_not_judged_and_say_why():
    v = judge_objects(series([0, None, None, None, None, 5, 6]), ObjectRules())
    assert not v.judged and v.leaks == []
    assert v.note == (
        f"objects not judged: class histograms at 3 of 7 points (6 measured iteration(s)); at least {MIN_DELTAS + 1} are needed"
    )
    assert not judge_objects([], ObjectRules()).judged
    assert not judge_objects(series([0, 1, 2]), ObjectRules()).judged  # two measured iterations
    # four histograms read (three deltas) are judged; a gap that could hide a pause leaves it undecided
    v = judge_objects(series([0, None, None, None, 4, 5, 6]), ObjectRules())
    assert v.judged and v.outcome == "undecided" and v.pending == [VC]
    assert judge_objects(series([0, None, None, None, 3, 4, 5]), ObjectRules()).outcome == "clear"


def test_minimum_is_three_deltas_as_in_cpython_minus_r_3_3():
    assert leak_names(judge_objects(series([0, 1, 2, 3]), ObjectRules())) == [VC]


def test_default_watch_list_judges_view_controllers_and_views_only():
    assert DEFAULT_WATCH == ("*ViewController", "*View")
    hists = []
    for i in range(7):
        hists.append([ClassStat("DetailViewController", i, 0), ClassStat("PhotoView", i, 0),
                      ClassStat("NSMutableArray", 10 * i, 0), ClassStat("MKAnnotationView.image", i, 0)])
    assert leak_names(judge_objects(hists, ObjectRules())) == ["DetailViewController", "PhotoView"]
    assert sorted(leak_names(judge_objects(hists, ALL))) == [
        "DetailViewController", "MKAnnotationView.image", "NSMutableArray", "PhotoView"]


@pytest.mark.parametrize(
    ("watch", "ignore", "judged"),
    [
        (("*ViewController",), (), True),
        (("*ViewController",), ("*Cache*",), False),  # matches both: ignore wins
        (("ImageCacheViewController",), ("*Cache*",), False),  # even an exact watch name
        ((), ("*Cache*",), False),
        ((), ("Other*",), True),  # empty watch list: every class not ignored
        (("*View",), (), False),  # shell patterns match the whole name
        (("*view*",), (), False),  # case-sensitive, like class names
    ],
)
def test_ignore_wins_over_watch(watch, ignore, judged):
    name = "ImageCacheViewController"
    rules = ObjectRules(watch=watch, ignore=ignore)
    assert rules.judged(name) is judged
    v = judge_objects(series([0, 1, 2, 3, 4], name=name), rules)
    assert bool(v.leaks) is judged


def test_per_iteration_limit_two_lets_one_per_iteration_pass():
    assert judge_objects(series([0, 1, 2, 3, 4, 5, 6]), ObjectRules(per_iteration=2)).leaks == []
    assert leak_names(judge_objects(series([0, 2, 4, 6, 8]), ObjectRules(per_iteration=2))) == [VC]


def test_leaks_are_ordered_by_bytes_and_the_message_names_at_most_five():
    hists = [[ClassStat(f"S{k}ViewController", i, i * 100 * (k + 1)) for k in range(7)] for i in range(5)]
    v = judge_objects(hists, ObjectRules())
    assert leak_names(v)[0] == "S6ViewController"
    lines = v.failure_message().splitlines()
    assert len(lines) == 6 and lines[-1] == "objects: and 2 more classes (see the report)"


def test_bytes_are_left_out_of_the_message_when_the_histogram_has_none():
    v = judge_objects(series([0, 1, 2, 3], size=0), ObjectRules())
    assert v.leaks[0].message() == "objects: DetailViewController +1 per iteration in 3 of 3 iterations (3 alive, 0 expected)"


def test_rows_of_one_name_are_summed():
    h = as_histogram([ClassStat("A", 1, 10), ClassStat("A", 2, 20), ClassStat("B", 1, 1)])
    assert h == {"A": ClassStat("A", 3, 30), "B": ClassStat("B", 1, 1)}
    assert as_histogram(None) is None


@given(st.lists(st.integers(min_value=-3, max_value=3), min_size=MIN_DELTAS, max_size=12), st.integers(0, 50))
def test_property_a_leak_exactly_when_every_delta_reaches_the_limit(deltas, start):
    counts = [start]
    for d in deltas:
        counts.append(max(0, counts[-1] + d))
    windows = [b - a for a, b in zip(counts, counts[2:])]
    v = judge_objects(series(counts), ObjectRules())
    # every two-iteration window grows by 2 and the count never falls below the +1 line
    assert bool(v.leaks) == (all(d >= 2 for d in windows) and all(c - counts[0] >= k for k, c in enumerate(counts)))
    assert v.outcome == ("finding" if v.leaks else "clear")


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=MIN_DELTAS + 2, max_size=10), st.data())
def test_property_a_missing_histogram_never_makes_a_leak_out_of_a_series_that_is_not_one(deltas, data):
    counts = [0]
    for d in deltas:
        counts.append(counts[-1] + d)
    hole = data.draw(st.integers(1, len(counts) - 2))
    with_hole = list(counts)
    with_hole[hole] = None
    full = judge_objects(series(counts), ObjectRules())
    holed = judge_objects(series(with_hole), ObjectRules())
    if holed.judged and holed.leaks and not full.leaks:
        # only a series that grew steadily for MIN_AFTER_GAP read iterations after the gap, a leak on its own
        tail = counts[hole + 1:]
        assert len(tail) - 1 >= MIN_AFTER_GAP
        assert judge_objects(series(tail), ObjectRules()).leaks


# -- reading the series (object_series.py) ------------------------------------------------------------
class _HistogramTarget:
    """Stands for a target's ``class_histogram`` (the Target protocol's seam): answers from a
    script, where an exception in the script is what the real target raises for that read."""

    kind = "local"

    def __init__(self, script):
        self.script = list(script)

    def class_histogram(self, app):
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return [ClassStat(VC, item, item * 10)]


def test_series_a_failed_read_is_a_gap_and_a_target_without_histograms_switches_it_off():
    from pytest_iosmem.errors import NotSupported, ReadFailed
    from pytest_iosmem.object_series import ObjectSeries, object_check_enabled

    s = ObjectSeries(_HistogramTarget([0, 1, ReadFailed("timeout"), NotSupported("gone"), 4, 5]), app=None)
    s.start()
    for _ in range(5):
        s.read()
    assert [None if h is None else h[VC].count for h in s.histograms] == [0, 1, None, None, 4, 5]
    assert s.notes == ["object check: a class histogram could not be read (timeout)"]
    # two histograms lost in a row: the object check waits for more reads instead of finding a leak
    assert judge_objects(s.histograms, ObjectRules()).pending == [VC]

    quiet = ObjectSeries(_HistogramTarget([NotSupported("no table")]), app=None)
    quiet.start()
    quiet.read()
    assert not quiet.started and quiet.notes == []  # auto: silent
    told = ObjectSeries(_HistogramTarget([NotSupported("no table")]), app=None, explicit=True)
    told.start()
    assert told.notes == ["object check unavailable: no table"]

    local, sim = _HistogramTarget([]), _HistogramTarget([])
    sim.kind = "simulator"
    assert object_check_enabled("auto", local) and not object_check_enabled("auto", sim)
    assert object_check_enabled("on", sim) and not object_check_enabled("off", local)


def test_outcomes_in_the_verdict_engines_words():
    assert judge_objects(series([0, 1, 2, 3]), ObjectRules()).outcome == "finding"
    clear = judge_objects(series([0, 1, 1, 2]), ObjectRules())
    assert clear.outcome == "clear" and clear.reason == "no watched class grew in every measured iteration"
    short = judge_objects(series([0, 1, 2]), ObjectRules())
    assert short.outcome == "undecided" and short.reason.startswith("objects not judged")


def test_as_the_engines_decision():
    """Runs where the verdict engine (pytest_iosmem/verdict.py, issue 10's branch) is present."""
    pytest.importorskip("pytest_iosmem.verdict")
    d = judge_objects(series([0, 1, 2, 3, 4, 5, 6]), ObjectRules()).decision(planned=6, limit=1)
    assert (d.check, d.outcome, d.steps, d.planned, d.estimate, d.limit) == ("objects", "finding", 6, 6, 1.0, 1)
    assert d.decided and d.reason.startswith("objects: DetailViewController +1 per iteration in 6 of 6")
    short = judge_objects(series([0, 1, 2]), ObjectRules()).decision()
    assert short.at_bound().outcome == "inconclusive" and short.notes


def test_an_object_leak_keeps_the_numbers_out_of_the_baselines_unless_forced():
    from pytest_iosmem.results import baseline_candidate

    result = {"metrics": {"end": 15_000_000, "peak": 15_100_000, "leak": None}, "outcome": "failed",
              "findings": [{"kind": "objects", "message": "objects: DetailViewController +1 ..."}]}
    assert baseline_candidate(result) is None
    assert baseline_candidate(result, accept_growth=True) is None  # not a growth-only failure
    assert baseline_candidate(result, force=True).end == 15_000_000


def test_a_real_heap_histogram_with_one_more_view_controller_per_iteration():
    """The simulator's source: ``heap PID`` recorded on an iOS 17.2 simulator (tests/data, see
    PROVENANCE.md). Its classes judged by the default rules: only the growing ViewController is."""
    from pathlib import Path

    from pytest_iosmem.parsers.heap import parse_heap

    base = parse_heap((Path(__file__).parent / "data" / "heap_ios_sim_17_2.txt").read_text()).classes
    by = {c.name: c for c in base}
    assert by["ViewController"].count == 1 and by["CFString"].count == 4891
    hists = []
    for i in range(5):
        rows = [c for c in base if c.name not in ("ViewController", "CFString")]
        rows.append(ClassStat("ViewController", 1 + i, 944 * (1 + i)))
        rows.append(ClassStat("CFString", 4891 + 40 * i, by["CFString"].bytes))  # strings grow too: not watched
        hists.append(rows)
    v = judge_objects(hists, ObjectRules())
    assert leak_names(v) == ["ViewController"]
    assert v.leaks[0].message() == (
        "objects: ViewController +1 per iteration in 4 of 4 iterations (5 alive, 1 expected), +944 B per iteration")
    assert sorted(leak_names(judge_objects(hists, ALL))) == ["CFString", "ViewController"]


def test_the_policy_record_holds_the_patterns_as_json_arrays():
    from pytest_iosmem.verdict.policy import build_policy

    d = build_policy({}, {"objects_ignore": "*Cache*"}, "t").to_dict()
    assert d["objects_watch"] == ["*ViewController", "*View"] and d["objects_ignore"] == ["*Cache*"]
