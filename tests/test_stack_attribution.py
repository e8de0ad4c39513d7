"""Wiring of stacks into a judged test: capture at the histogram moments, the message, the notes, the saved files."""

import json

from pytest_iosmem.verdict.findings import Finding, Verdict
from pytest_iosmem.verdict.metrics import LeakEstimate, Metrics
from pytest_iosmem.errors import NotSupported, TargetError
from pytest_iosmem.attribution.capture import StackCapture, grown_stack_rows, rules_from_options
from pytest_iosmem.attribution.stacks import Frame, Generation, StackStat

SITE = (Frame("start", "dyld"), Frame("UIMyCell.configure", "MyApp"), Frame("_malloc_zone_malloc", "libsystem_malloc.dylib"))


def verdict(kinds=("leak",), n=6):
    leak = LeakEstimate(600_000, 0.001, n, tuple(range(n)), 15)
    metrics = Metrics(1, 2, 3, 10, 1.0, leak, (), 0, None)
    return Verdict(metrics, [Finding(k, f"{k}: message") for k in kinds])


def generations(first_bytes=0, last_bytes=5 * 512 * 1024, overhead=(1000, 60_000)):
    g1 = Generation((StackStat(SITE, 1, first_bytes),), "test", overhead[0])
    g2 = Generation((StackStat(SITE, 6, last_bytes),), "test", overhead[1])
    return {"first": g1, "last": g2}


NO_OPTIONS = rules_from_options(lambda name: None)


def test_the_first_leak_finding_gets_the_stacks_and_the_generations_are_saved(tmp_path):
    v = verdict(("peak", "leak", "growth"))
    rows = grown_stack_rows(generations(), v, NO_OPTIONS, tmp_path, "test_x[a/b]")
    assert len(rows) == 1 and rows[0].bytes_per_iteration == 512 * 1024
    assert v.findings[0].message == "peak: message"
    message = v.findings[1].message
    assert "grown allocation stacks (per iteration):" in message
    # UIMy* is folded as system by the defaults (fn:UI*): no frame of the app, said so
    assert "(no frame of the app)" in message
    assert v.findings[2].message == "growth: message"
    first, last = tmp_path / "test_x_a_b-stacks-first.json", tmp_path / "test_x_a_b-stacks-last.json"
    assert json.loads(last.read_text())["stacks"][0]["bytes"] == 5 * 512 * 1024
    assert f"iosmem stacks-diff {first} {last} --iterations 5" in message
    assert any("recorder's own memory changed by" in n for n in v.notes)


def test_app_patterns_from_the_options():
    v = verdict()
    opts = {"stack_app": "fn:UIMy*, lib:Other"}
    rows = grown_stack_rows(generations(), v, rules_from_options(opts.get))
    assert rows[0].site == "UIMyCell.configure (in MyApp)"
    assert "at UIMyCell.configure (in MyApp)" in v.findings[0].message
    assert rules_from_options(opts.get).app == ("fn:UIMy*", "lib:Other")


def test_a_passing_test_gets_rows_but_no_message_and_no_files(tmp_path):
    v = verdict(())
    rows = grown_stack_rows(generations(), v, NO_OPTIONS, tmp_path)
    assert len(rows) == 1 and v.findings == [] and list(tmp_path.iterdir()) == []


def test_nothing_without_both_generations():
    v = verdict()
    g = generations()
    del g["last"]
    assert grown_stack_rows(g, v) == [] and v.findings[0].message == "leak: message"


def test_capture_notes_once_and_stops_when_the_target_cannot():
    class NoStacks:
        kind = "local"

    class Broken:
        kind = "simulator"

        def __init__(self, exc):
            self.exc, self.calls = exc, 0

        def allocation_stacks(self, app):
            self.calls += 1
            raise self.exc

    m = StackCapture(NoStacks(), None, [])
    m.capture("first")
    m.capture("last")
    assert m.notes == ["allocation stacks unavailable: the local target does not record them"]
    for exc, said in ((NotSupported("no stack logs"), "unavailable: no stack logs"),
                      (TargetError("timed out"), "failed: timed out")):
        target = Broken(exc)
        m = StackCapture(target, None, [])
        m.capture("first")
        m.capture("last")
        assert target.calls == 1 and m.notes == [f"allocation stacks {said}"] and m.generations == {}
