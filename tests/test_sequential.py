"""The sequential loop of ``IosMem.iterations()``: planned iterations, then more while the leak is undecided.

The target here is a scripted stand-in at the ``Target`` protocol seam
(``pytest_iosmem.targets.base.Target``): it stands for a real target's
footprint read (libproc / sysmontap / /proc), returning the footprint the
script gives for the number of visits the test body made, so the series
is exact and the loop's decisions can be checked step by step.  The real
local target runs the same loop in tests/test_refapp_gates.py and bench/.
"""

from __future__ import annotations

import warnings

import pytest

from pytest_iosmem.verdict.checks import analyse
from pytest_iosmem.errors import NotSupported, ReadFailed
from pytest_iosmem.measure import InconclusiveWarning, IosMem
from pytest_iosmem.verdict.policy import Policy
from pytest_iosmem.settle import SettleConfig
from pytest_iosmem.targets.base import App, Reading
from pytest_iosmem.values import Profile

KB = 1000
MB = 1000 * KB


class ScriptedTarget:
    """Footprint = ``script(visits)``; ``None`` from the script is a failed read."""

    kind = "local"
    capabilities = frozenset()

    def __init__(self, script):
        self.script = script
        self.visits = 0

    def visit(self):
        self.visits += 1

    def read(self, app):
        value = self.script(self.visits)
        if value is None:
            raise ReadFailed("scripted: no reading")
        return Reading(int(value))

    def poll_termination(self, app):
        return None

    def drain_events(self, app):
        return []

    def class_histogram(self, app):
        raise NotSupported("scripted target counts no objects")

    def memory_warning(self, app):
        raise NotSupported("scripted")

    def profile(self):
        return Profile("local", "scripted", "0")

    def jetsam_limit(self):
        return None


def run(script, n=6, warmup=2, max=None, policy=Policy()):
    target = ScriptedTarget(script)
    mem = IosMem(
        target,
        App(pid=1, name="scripted", target_kind="local"),
        policy,
        interval=3600,
        settle=SettleConfig(interval=0.0, window=2, max_wait=0.05),
    )
    yielded = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for i in mem.iterations(n, warmup=warmup, max=max):
                yielded.append(i)
                target.visit()
        finally:
            mem.finish()
    return mem, yielded, analyse(mem.timeline, policy), [w for w in caught if w.category is InconclusiveWarning]


def flat(visits):
    return 30 * MB + (visits * 37 % 5) * KB


def test_clean_app_stops_after_the_planned_iterations():
    mem, yielded, v, warned = run(flat)
    assert yielded == list(range(8))
    [d] = v.decisions
    assert (d.outcome, d.steps, d.added) == ("clear", 6, 0)
    assert v.passed and not warned
    assert mem.timeline.plan == {"planned": 6, "max": 20}


def test_clear_leak_stops_after_the_planned_iterations_with_the_one_glance_message():
    mem, yielded, v, _ = run(lambda k: 30 * MB + 300 * KB * k)
    assert len(yielded) == 8
    assert [f.message for f in v.findings] == ["leak: +300 KB per iteration over 6 iterations (trend p=0.00139), limit 128 KB"]


def test_an_undecided_leak_gets_iterations_added_and_the_message_says_how_many():
    # the reading after visit k is script(k); the last planned one (after visit 8) dips to the
    # second measured one's level (after visit 4)
    def script(k):
        return 30 * MB + 300 * KB * (4 if k == 8 else k)

    mem, yielded, v, warned = run(script)
    # each look tests at the per-look level (0.83% for looks 6..20 at alpha 5%): p=0.00294 is below it
    assert len(yielded) == 11  # 2 warm-ups + 6 planned + 3 added
    [d] = v.decisions
    assert (d.outcome, d.steps, d.added) == ("finding", 9, 3)
    assert v.findings[0].message == (
        "leak: +300 KB per iteration over 9 iterations (3 added to decide; trend p=0.00294), limit 128 KB"
    )
    assert not warned


def test_a_high_water_mark_gets_iterations_until_it_is_clear():
    rm = [4_800_000, 6_000_000, 6_200_000, 6_400_000, 6_500_000, 6_500_000]
    mem, yielded, v, _ = run(lambda k: rm[k - 1] if 0 < k <= 6 else 6_500_000, warmup=0)
    [d] = v.decisions
    # (11 when every look tested at the full 5%; the per-look level 0.86% needs two more flat readings)
    assert (d.outcome, d.steps, len(yielded)) == ("clear", 13, 13)
    assert v.passed


def test_undecided_at_the_bound_is_inconclusive_with_a_warning_and_passes_by_default():
    # 3 readings can never reach p <= 0.05 (1/3! = 0.17): inconclusive by construction
    mem, yielded, v, warned = run(lambda k: 30 * MB + 300 * KB * k, n=3, warmup=0, max=3)
    assert len(yielded) == 3
    [d] = v.decisions
    assert d.outcome == "inconclusive"
    assert v.passed
    assert any(n.startswith("inconclusive: leak +300 KB per iteration over 3 iterations (0 added, bound 3)") for n in v.notes)
    assert any("cannot be reached with 3 measured iteration(s)" in n for n in v.notes)
    assert [str(w.message) for w in warned] == [
        "iosmem: leak verdict inconclusive after 3 measured iterations (0 added): neither clearly faster nor "
        "clearly slower than 128 KB per iteration (p=0.167 above, 1 below)"
    ]


def test_inconclusive_fails_the_test_when_the_policy_says_so():
    policy = Policy(inconclusive="fail")
    mem, yielded, v, warned = run(lambda k: 30 * MB + 300 * KB * k, n=3, warmup=0, max=3, policy=policy)
    assert [f.kind for f in v.findings] == ["inconclusive"]
    assert v.findings[0].message.startswith("inconclusive: leak +300 KB per iteration over 3 iterations (0 added, bound 3)")


def test_a_short_plan_is_extended_until_alpha_can_be_reached():
    mem, yielded, v, _ = run(lambda k: 30 * MB + 300 * KB * k, n=3, warmup=0)
    [d] = v.decisions
    # the per-look level for looks 3..20 at 5% is 0.83%: the first untied series that reaches it has 6 readings
    assert (d.outcome, d.steps, d.added) == ("finding", 6, 3)


def test_a_missing_reading_keeps_the_iteration_index():
    # measured iteration 3 (after 2 warm-ups: iteration index 4) reads nothing
    state = {"miss": False}

    def script(k):
        return None if k == 5 and state["miss"] else 30 * MB + 300 * KB * k

    target_reads = []

    class Miss(ScriptedTarget):
        def visit(self):
            super().visit()
            state["miss"] = self.visits == 5

    mem = IosMem(Miss(script), App(pid=1, name="s", target_kind="local"), Policy(), interval=3600,
                 settle=SettleConfig(interval=0.0, window=2, max_wait=0.02))
    for _ in mem.iterations(6, warmup=2):
        mem.target.visit()
        target_reads.append(mem.target.visits)
    mem.finish()
    v = analyse(mem.timeline, Policy())
    # five readings in six iterations: p = 1/5! = 0.833% is just above the per-look level, one is added
    assert [i.index for i in mem.timeline.iterations if not i.warmup] == [2, 3, 5, 6, 7, 8]
    assert v.metrics.leak.per_iteration == 300 * KB
    assert v.metrics.leak.xs == (2, 3, 5, 6, 7, 8)


def test_max_below_n_means_no_extension():
    mem, yielded, v, warned = run(lambda k: 30 * MB + 300 * KB * k, n=3, warmup=0, max=1)
    assert len(yielded) == 3 and v.decisions[0].outcome == "inconclusive"


def test_the_loop_stops_on_the_verdict_the_analysis_reports(monkeypatch):
    """Whatever the series, analyse() after the loop says what the loop itself stopped on."""
    import random

    from pytest_iosmem.verdict import checks

    real = checks.leak_decision
    rng = random.Random(5)
    for _ in range(15):
        seen = []  # the decisions IosMem.iterations() asked for, in order
        monkeypatch.setattr(checks, "leak_decision", lambda tl, policy: seen.append(real(tl, policy)) or seen[-1])
        steps = [rng.choice([0, 0, 50 * KB, 200 * KB, 1 * MB]) for _ in range(30)]
        series = [30 * MB + sum(steps[: k + 1]) for k in range(30)]
        mem, yielded, v, _ = run(lambda k: series[k], warmup=1, max=10)
        monkeypatch.setattr(checks, "leak_decision", real)
        asked = seen[:-1]  # the last call is analyse()'s own, after the loop
        loop = asked[-1]
        # the loop asked after each measured reading from the 6th, and stopped on the first decided one
        assert [d.steps for d in asked] == list(range(6, loop.steps + 1))
        assert all(not d.decided for d in asked[:-1])
        assert loop.decided or loop.steps == 10
        assert len(yielded) == 1 + loop.steps
        [reported] = v.decisions
        assert reported == loop.at_bound()


def test_bad_arguments_are_a_clear_error():
    with pytest.raises(ValueError, match=r"iterations\(n=0, warmup=2, max=20\)"):
        run(flat, n=0)


class CountingTarget(ScriptedTarget):
    """Adds the Target protocol's ``class_histogram`` seam: the live count of one view controller is
    ``counts(read number)``, ReadFailed where the script says None (a real target's failed read)."""

    def __init__(self, script, counts):
        super().__init__(script)
        self.counts = counts
        self.reads = 0

    def class_histogram(self, app):
        from pytest_iosmem.values import ClassStat

        c = self.counts(self.reads)
        self.reads += 1
        if c is None:
            raise ReadFailed("scripted: no histogram")
        return [ClassStat("DetailViewController", c, 480 * c)]


def test_an_object_check_left_open_by_a_gap_asks_the_loop_for_more_iterations():
    # a flat footprint (the leak check is clear at 6) and a +1 view-controller leak whose third
    # histogram is lost: the object check needs 6 reads in a row after the gap before it finds
    target = CountingTarget(flat, lambda r: None if r == 2 else r)
    mem = IosMem(target, App(pid=1, name="s", target_kind="local"), Policy(), interval=3600,
                 settle=SettleConfig(interval=0.0, window=2, max_wait=0.02), objects="on")
    yielded = [i for i in mem.iterations(6, warmup=0) if target.visit() or True]
    mem.finish()
    assert len(yielded) == 9  # histograms after iterations 3..9, read after the gap: 6 deltas in a row
    from pytest_iosmem.verdict.objects import judge_objects

    check = judge_objects(mem.objects.histograms, mem.policy.object_rules)
    assert check.outcome == "finding" and [leak.name for leak in check.leaks] == ["DetailViewController"]
