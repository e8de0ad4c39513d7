"""The reference app's Feed screen: random transient loads kept by a malloc zone (a high-water mark),
and a real leak under it with ``--size feed=SIZE`` — the random-churn scenario of bench/random_churn.py."""

import subprocess
import sys

import pytest
import wda

from pytest_iosmem.refapp.memory import page_round

from .test_refapp_wda import BUNDLE, get, start_refapp, stop


def zone_and_items(url):
    rows = {r["class"]: r for r in get(url + "/iosmem/objects")}
    zone = rows.get("MallocZone", {"bytes": 0})["bytes"]
    items = rows.get("FeedItem", {"count": 0, "bytes": 0})
    return zone, items["count"], items["bytes"]


@pytest.mark.parametrize("leak", [0, 300_000])
def test_feed_visits_rise_like_a_running_maximum_and_leak_only_when_sized(leak):
    proc, url, _ = start_refapp("--seed", "4", "--churn", "1MB-2MB", "--size", f"feed={leak}")
    try:
        s = wda.Client(url).session(BUNDLE)
        zones = []
        for visit in range(1, 13):
            s(label="Feed").click()
            s(label="Back").click()
            zone, count, retained = zone_and_items(url)
            zones.append(zone)
            assert (count, retained) == ((visit, visit * page_round(leak)) if leak else (0, 0))
        assert zones == sorted(zones)  # never given back: the zone keeps its high-water mark
        assert 1_000_000 <= zones[0] and zones[-1] <= page_round(2_000_000) + 4096
        assert len(set(zones)) < len(zones)  # it flattens: most later visits fit in what the zone has
    finally:
        stop(proc)


def test_a_relaunch_empties_the_zone_and_the_ballast_sets_the_footprint():
    proc, url, _ = start_refapp("--ballast", "5MB", "--churn", "1MB-2MB")
    try:
        rows = {r["class"]: r for r in get(url + "/iosmem/objects")}
        assert rows["AppAssets"]["bytes"] == page_round(5_000_000)
        c = wda.Client(url)
        s = c.session(BUNDLE)
        s(label="Feed").click()
        assert zone_and_items(url)[0] > 0
        c.session(BUNDLE)  # a session with the bundle id relaunches: a fresh process on iOS
        assert zone_and_items(url)[0] == 0
    finally:
        stop(proc)


@pytest.mark.slow
def test_the_feed_screen_is_there_only_with_churn():
    for args, expected in (((), False), (("--churn", "1MB-2MB"), True)):
        proc, url, _ = start_refapp(*args)
        try:
            s = wda.Client(url).session(BUNDLE)
            assert s(label="Feed").exists is expected
        finally:
            stop(proc)


@pytest.mark.parametrize("bad", ["2MB", "2MB-1MB", "1MB-lots"])
def test_a_bad_churn_range_is_a_usage_error(bad):
    res = subprocess.run([sys.executable, "-m", "pytest_iosmem.refapp", "--churn", bad], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    assert "--churn" in res.stderr
