"""The object check end to end (pytester, real processes): the reference app's Photo Detail
screen leaves one small view controller per visit — a leak the footprint gate cannot see."""

import json
import sys
import xml.etree.ElementTree as ET

import pytest

from .helpers import INNER, inner_conftest, memapp_command

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the local target reads /proc"),
]

VISITS = """
import pytest

def visits(wda_session, iosmem, screen, n=6, warmup=2):
    for _ in iosmem.iterations(n, warmup=warmup):
        wda_session(label=screen).click()
        wda_session(label="Back").click()
"""


def results(pytester, name="r.json"):
    return {r["nodeid"].split("::")[-1]: r for r in json.loads((pytester.path / name).read_text())["tests"]}


def test_one_small_object_per_visit_fails_the_object_check_while_the_footprint_gate_passes(pytester):
    pytester.makepyfile(
        test_objects=VISITS + """
@pytest.mark.iosmem
def test_photo_detail(wda_session, iosmem):
    visits(wda_session, iosmem, "Photo Detail")

@pytest.mark.iosmem(objects_ignore=["PhotoDetail*"])
def test_photo_detail_ignored(wda_session, iosmem):
    visits(wda_session, iosmem, "Photo Detail")

@pytest.mark.iosmem(objects_watch="Closure")
def test_closures_watched(wda_session, iosmem):
    visits(wda_session, iosmem, "Photo Detail")

@pytest.mark.iosmem(objects_per_iteration=2)
def test_two_per_iteration_allowed(wda_session, iosmem):
    visits(wda_session, iosmem, "Photo Detail")

@pytest.mark.iosmem(objects_per_iteration="off")
def test_check_off_for_one_test(wda_session, iosmem):
    visits(wda_session, iosmem, "Photo Detail")

@pytest.mark.iosmem(leak_per_iteration=None)  # no footprint leak check: nothing adds iterations to the loop
def test_two_measured_iterations_are_not_judged(wda_session, iosmem):
    visits(wda_session, iosmem, "Photo Detail", n=2)
"""
    )
    res = pytester.runpytest(*INNER, "--iosmem-json=r.json", "--junitxml=j.xml")
    res.assert_outcomes(failed=2, passed=4)
    res.stdout.re_match_lines([
        r"objects: PhotoDetailViewController \+1 per iteration in 6 of 6 iterations \(8 alive, 2 expected\), "
        r"\+256 B per iteration",
        r"objects: Closure \+1 per iteration in 6 of 6 iterations \(8 alive, 2 expected\)",
    ])
    by = results(pytester)
    photo = by["test_photo_detail"]
    assert [f["kind"] for f in photo["findings"]] == ["objects"]  # the footprint leak check passed
    assert abs(photo["metrics"]["leak"]["per_iteration"]) < 128_000
    [leak] = photo["objects"]["leaks"]
    assert leak["deltas"] == [1] * 6 and leak["bytes_per_iteration"] == 256
    if "decisions" in photo:  # with the verdict engine (issue 10): the object check's decision beside the leak's
        assert {"check": "objects", "outcome": "finding", "limit": 1}.items() <= next(
            d for d in photo["decisions"] if d["check"] == "objects").items()
    assert [f["kind"] for f in by["test_closures_watched"]["findings"]] == ["objects"]
    for name in ("test_photo_detail_ignored", "test_two_per_iteration_allowed"):
        assert by[name]["findings"] == [] and by[name]["objects"]["judged"], name
    assert "objects" not in by["test_check_off_for_one_test"]
    short = by["test_two_measured_iterations_are_not_judged"]
    assert short["findings"] == [] and not short["objects"]["judged"]
    assert any("objects not judged: class histograms at 3 of 3 points" in n for n in short["notes"])
    props = {
        (tc.get("name"), p.get("name")): p.get("value")
        for tc in ET.parse(pytester.path / "j.xml").iter("testcase")
        for p in tc.iter("property")
    }
    assert props[("test_photo_detail", "iosmem_object_leaks")] == "PhotoDetailViewController"
    assert ("test_photo_detail_ignored", "iosmem_object_leaks") not in props


def test_clean_burst_and_cache_screens_pass_the_object_check_run_after_run(pytester):
    pytester.makepyfile(
        test_clean=VISITS + """
@pytest.mark.parametrize("run", range(3))
@pytest.mark.parametrize("screen", ["Clean", "Burst", "Purging Cache", "Stubborn Cache"])
@pytest.mark.iosmem(leak_per_iteration=None)  # the caches grow by design: only the object check is judged
def test_screen(wda_session, iosmem, screen, run):
    visits(wda_session, iosmem, screen)
"""
    )
    res = pytester.runpytest(*INNER, "--iosmem-json=r.json", "--iosmem-app",
                             f"{sys.executable} -m pytest_iosmem.refapp --port 0 --leak-size 64KB --size burst=4MB")
    res.assert_outcomes(passed=12)
    assert all(r["objects"]["judged"] and not r["objects"]["leaks"] for r in results(pytester).values())


def test_options_and_ini_twins_switch_and_shape_the_check(pytester):
    pytester.makeini(
        """
[pytest]
iosmem_objects_watch =
    Closure
    *ViewController
iosmem_objects_ignore = PhotoDetail*
"""
    )
    pytester.makepyfile(
        test_objects=VISITS + """
@pytest.mark.iosmem
def test_photo_detail(wda_session, iosmem):
    visits(wda_session, iosmem, "Photo Detail")
"""
    )
    res = pytester.runpytest(*INNER, "--iosmem-json=r.json")
    res.assert_outcomes(failed=1)
    assert [leak["name"] for leak in results(pytester)["test_photo_detail"]["objects"]["leaks"]] == ["Closure"]
    # the command line beats the ini file
    res = pytester.runpytest(*INNER, "--iosmem-json=r.json", "--iosmem-objects-ignore=Closure",
                             "--iosmem-objects-ignore=PhotoDetail*")
    res.assert_outcomes(passed=1)
    res = pytester.runpytest(*INNER, "--iosmem-json=r.json", "--iosmem-objects=off")
    res.assert_outcomes(passed=1)
    assert "objects" not in results(pytester)["test_photo_detail"]
    res = pytester.runpytest(*INNER, "--iosmem-objects=maybe")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*--iosmem-objects='maybe': choose auto, on or off*"])


def test_a_bad_marker_value_is_a_usage_error_naming_the_test(pytester):
    pytester.makepyfile(
        test_bad="""
import pytest

@pytest.mark.iosmem(objects_per_iteration=0)
def test_x(iosmem):
    pass
"""
    )
    res = pytester.runpytest(*INNER)
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*test_bad.py::test_x: objects_per_iteration=0: must be at least 1*"])


def test_a_target_that_cannot_count_objects_says_so_only_when_asked(pytester):
    """tests/apps/memapp.py announces no WDA URL, so it has no object table to ask."""
    pytester.makeconftest(inner_conftest())
    pytester.makepyfile(
        test_memapp="""
def test_visits(iosmem, visit):
    for _ in iosmem.iterations(4, warmup=1):
        visit()
"""
    )
    app = "--iosmem-app=" + memapp_command()
    res = pytester.runpytest(*INNER, "--iosmem-interval=0.01", app, "--iosmem-json=r.json")
    res.assert_outcomes(passed=1)
    r = results(pytester)["test_visits"]
    assert "objects" not in r and not any(n.startswith("object") for n in r["notes"])  # auto: silent
    res = pytester.runpytest(*INNER, "--iosmem-interval=0.01", app, "--iosmem-json=r.json",
                             "--iosmem-objects=on")
    res.assert_outcomes(passed=1)
    r = results(pytester)["test_visits"]
    assert "objects" not in r
    assert any(n.startswith("object check unavailable: the local app announced no WDA URL") for n in r["notes"])
