"""Allocation stacks on the reference app: recorded with tracemalloc, served at /iosmem/stacks,
read by the local target, diffed by the plugin (docs/stacks.md)."""

import json
import re
import sys
from pathlib import Path

import pytest

from pytest_iosmem.errors import NotSupported
from pytest_iosmem.refapp import allocations
from pytest_iosmem.targets.base import AppSpec
from pytest_iosmem.targets.local import REFAPP_COMMAND, STACKS_ENV, LocalTarget

from .helpers import INNER, memapp_command

pytestmark = pytest.mark.skipif(not (sys.platform.startswith("linux") or sys.platform == "darwin"),
                                reason="local target")

MODEL = Path(allocations.__file__).with_name("model.py")
LEAK = 400 * 1024


def test_function_names_come_from_the_source():
    lines = MODEL.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "self.buffer = Buffer(" in text)
    assert allocations.function_at(str(MODEL), line) == "ViewController.__init__"
    closure = next(i for i, text in enumerate(lines, 1) if "Closure(lambda" in text)
    assert allocations.function_at(str(MODEL), closure) == "RetainCycleViewController.did_appear"
    assert allocations.function_at(str(MODEL), 1) == "<module>"
    assert allocations.function_at("/no/such/file.py", 3) == "<module>"


def test_the_env_value_is_checked():
    with pytest.raises(ValueError, match="IOSMEM_ALLOCATION_STACKS='many'"):
        allocations.start_from_env("many")
    assert allocations.start_from_env("0") == 0 and not allocations.enabled()


def _visit(target, app, screen: str, times: int) -> None:
    import wda

    session = wda.Client(target.wda_url(app, 20)).session()
    for _ in range(times):
        session(label=screen).click()
        session(label="Back").click()


@pytest.fixture
def target():
    t = LocalTarget(stack_frames=24)
    apps = []
    yield t, apps
    for app in apps:
        t.terminate(app)


@pytest.mark.slow
def test_the_local_target_reads_the_reference_apps_stacks(target, tmp_path, capsys):
    t, apps = target
    assert t.profile().os.endswith("-stacks")  # traced runs do not share the untraced app's baselines
    app = t.launch(AppSpec(command=REFAPP_COMMAND))
    apps.append(app)
    t.wda_url(app, 20)
    before = t.allocation_stacks(app)
    _visit(t, app, "Map", 2)
    after = t.allocation_stacks(app)
    assert after.source == "refapp tracemalloc" and after.overhead and after.overhead > 0
    assert "file:*/pytest_iosmem/refapp/memory.py" in after.allocator_patterns
    from pytest_iosmem.attribution.stacks import grown_stacks

    top = grown_stacks(before, after, iterations=2)[0]
    assert top.site.startswith("Annotation.__init__ (refapp/model.py:")
    assert top.bytes_per_iteration == 16 * (512 * 1024 // 16) and top.count_per_iteration == 16
    assert [f.function for f in top.app_frames[:2]] == ["Annotation.__init__", "MapViewController.did_appear"]
    # the command line: a saved generation against the live endpoint
    from pytest_iosmem.cli import main

    saved = tmp_path / "before.json"
    saved.write_text(json.dumps(before.to_dict()))
    url = t.wda_url(app, 5).rstrip("/") + "/iosmem/stacks"
    assert main(["stacks-diff", str(saved), url, "--iterations", "2"]) == 1
    assert "at Annotation.__init__ (refapp/model.py:" in capsys.readouterr().out


def test_stacks_off_unless_asked_and_other_apps_have_none():
    t = LocalTarget()
    assert "-stacks" not in t.profile().os
    app = t.launch(AppSpec(command=REFAPP_COMMAND))
    try:
        t.wda_url(app, 20)
        with pytest.raises(NotSupported, match="only with --iosmem-attribution=on"):
            t.allocation_stacks(app)
    finally:
        t.terminate(app)
    traced = LocalTarget(stack_frames=24)
    other = traced.launch(AppSpec(command=memapp_command().split()))
    try:
        with pytest.raises(NotSupported, match="allocation stacks are not available"):
            traced.allocation_stacks(other)
    finally:
        traced.terminate(other)
    assert STACKS_ENV == allocations.ENV


GATES = """
import pytest

@pytest.mark.parametrize("run", range({runs}))
@pytest.mark.parametrize("screen", {screens!r})
@pytest.mark.iosmem(leak_per_iteration="100KB")
def test_screen(wda_session, iosmem, screen, run):
    for _ in iosmem.iterations(6, warmup=2):
        wda_session(label=screen).click()
        if screen == "Purging Cache":
            iosmem.memory_warning()  # the cache hears it while its screen is up, and empties
        wda_session(label="Back").click()
"""


def _results(pytester):
    return json.loads((pytester.path / "r.json").read_text())["tests"]


@pytest.mark.slow
def test_every_leaky_screen_names_its_allocation_site_within_25_percent(pytester):
    screens = ["Timer Detail", "Retain Cycle", "Observer", "Map"]
    pytester.makepyfile(test_gates=GATES.format(runs=1, screens=screens))
    res = pytester.runpytest(
        *INNER, f"--iosmem-app={sys.executable} -m pytest_iosmem.refapp --port 0 --leak-size {LEAK}",
        "--iosmem-attribution=on", "--iosmem-json=r.json",
    )
    res.assert_outcomes(failed=4)
    model = MODEL.read_text().splitlines()
    for r in _results(pytester):
        top = r["stacks"][0]
        m = re.fullmatch(r"(?P<fn>[\w.]+) \(refapp/model\.py:(?P<line>\d+)\)", top["site"])
        assert m, (r["nodeid"], top["site"])
        # the line named is where the leaking buffer is allocated
        assert "Buffer(" in model[int(m.group("line")) - 1], (r["nodeid"], top["site"])
        assert top["bytes_per_iteration"] == pytest.approx(LEAK, rel=0.25), r["nodeid"]
        expected = "Annotation.__init__" if "Map" in r["nodeid"] else "ViewController.__init__"
        assert m.group("fn") == expected
        # the failure message shows it, beside the grown classes
        message = r["findings"][0]["message"]
        assert "grown classes" in message and "grown allocation stacks" in message
        assert f"at {top['site']}" in message
    res.stdout.fnmatch_lines(["*grown allocation stacks (per iteration):*", "*at ViewController.__init__ (refapp/model.py:*"])


@pytest.mark.slow
def test_clean_burst_and_cache_screens_show_no_grown_stack_over_repeated_runs(pytester):
    pytester.makepyfile(test_gates=GATES.format(runs=3, screens=["Clean", "Burst", "Purging Cache"]))
    res = pytester.runpytest(*INNER, "--iosmem-attribution=on", "--iosmem-json=r.json")
    res.assert_outcomes(passed=9)
    for r in _results(pytester):
        assert r["stacks"] == [], (r["nodeid"], [s["site"] for s in r["stacks"]])
        assert not any("allocation stacks unavailable" in n for n in r["notes"]), r["notes"]
