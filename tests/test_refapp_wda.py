"""The reference app through facebook-wda's real client, unmodified."""

import json
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

wda = pytest.importorskip("wda")

from pytest_iosmem.targets.local import WDA_URL_RE  # noqa: E402

BUNDLE = "com.example.refapp"


@pytest.fixture(scope="module")
def refapp():
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest_iosmem.refapp", "--port", "0", "--seed", "1", "--leak-size", "1MB"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        m = WDA_URL_RE.search(line)
        assert m, f"no URL line, got {line!r}"
        yield proc, m.group(1)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def client(refapp):
    return wda.Client(refapp[1])


@pytest.fixture
def session(client):
    s = client.session(BUNDLE)  # a session with a bundle id relaunches the app: a fresh state
    yield s
    s.close()


def get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)["value"]


def test_status_and_healthcheck(client):
    st = client.status()
    assert st["ready"] is True and st["os"]["name"] == "iOS"
    client.healthcheck()
    assert client.is_ready()


def test_find_by_label_name_predicate_and_chain(session):
    assert session(label="Timer Detail").exists
    assert session(name="Clean").exists
    assert session(labelContains="Cache").count() == 2
    assert session(predicate="label BEGINSWITH 'Retain' AND type == 'XCUIElementTypeButton'").exists
    assert session(classChain="**/XCUIElementTypeButton[`label == 'Map'`]").exists
    assert session(className="Button").count() == 8
    assert session(nameMatches="^Pur.*Cache$").exists
    assert not session(label="Back").exists


def test_click_navigates_and_back_returns(session):
    session(label="Observer").click()
    assert session(label="Back").exists
    assert session(label="Observer is open").exists
    assert session(label="Back").get().text == "Back"
    session(label="Back").click()
    assert session(label="Observer").exists and not session(label="Back").exists


def test_element_properties(session):
    el = session(label="Clean").get()
    b = el.bounds
    assert (b.width, b.height) == (358, 44)
    assert el.className == "XCUIElementTypeButton"
    assert el.enabled is True and el.displayed is True
    assert el.label == "Clean" and el.name == "XCUIElementTypeButton"


def test_tap_by_coordinates_hits_the_element_under_the_point(session):
    b = session(label="Map").bounds
    session.tap(b.x + 5, b.y + 5)
    assert session(label="Map is open").exists
    session.tap(10, 60)  # the Back button's area in the navigation bar
    assert session(label="Map").exists


def test_source_is_wda_xml_and_json(client, session):
    xml = client.source()
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<XCUIElementTypeApplication " in xml and 'type="XCUIElementTypeButton" name="Burst"' in xml
    tree = client.source(format="json")
    assert tree["type"] == "Application" and tree["children"]


def test_not_found_raises_the_clients_own_error(session):
    with pytest.raises(wda.WDAElementNotFoundError):
        session(label="No such button").get(timeout=0.2)


def test_bad_selector_is_a_wda_error(session):
    with pytest.raises(wda.WDARequestError) as info:
        session(classChain="**/XCUIElementTypeButton[`label ==`]").exists
    assert info.value.value["error"] == "invalid selector"


def test_app_launch_terminate_state_and_active_app(refapp, session):
    proc, _ = refapp
    assert session.app_state(BUNDLE).value == 4
    assert session.app_current()["bundleId"] == BUNDLE
    assert session.app_current()["pid"] == proc.pid
    session.app_terminate(BUNDLE)
    assert session.app_state(BUNDLE).value == 1
    assert session.app_current()["bundleId"] == "com.apple.springboard"
    session.app_launch(BUNDLE)
    assert session.app_state(BUNDLE).value == 4
    assert session(label="Clean").exists


def test_window_swipe_and_screen(session):
    assert tuple(session.window_size()) == (390, 844)
    session.swipe(100, 600, 100, 200, 0.1)
    assert session.scale == 3


def test_unknown_session_and_route_are_wda_errors(client, refapp):
    req = urllib.request.Request(refapp[1] + "/session/NOPE/source")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    assert info.value.code == 404
    assert json.load(info.value)["value"]["error"] == "invalid session id"
    bad = urllib.request.Request(refapp[1] + "/session", data=b"[1,2", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(bad, timeout=5)
    assert info.value.code == 400 and json.load(info.value)["value"]["error"] == "invalid argument"


def test_live_objects_and_state_endpoints(refapp, session):
    url = refapp[1]
    before = {r["class"]: r for r in get(url + "/iosmem/objects")}
    session(label="Retain Cycle").click()
    session(label="Back").click()
    after = {r["class"]: r for r in get(url + "/iosmem/objects")}
    assert after["RetainCycleViewController"]["count"] == before.get("RetainCycleViewController", {"count": 0})["count"] + 1
    assert after["Closure"]["count"] >= 1
    state = get(url + "/iosmem/state")
    assert state["sizes"]["cycle"] == 1_000_000 and state["screen"] == "Memory Lab"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_memory_truth_per_visit_and_warnings(refapp, session):
    """Each leaky screen retains its configured size; caches and warnings behave as designed."""
    from pytest_iosmem.targets.procfs import ProcStatusReader

    proc, url = refapp
    reader = ProcStatusReader(proc.pid)

    def visits(label, n=4):
        time.sleep(0.1)
        before = reader.read()
        for _ in range(n):
            session(label=label).click()
            session(label="Back").click()
        time.sleep(0.1)
        return (reader.read() - before) / n

    for label in ("Timer Detail", "Retain Cycle", "Observer", "Map", "Stubborn Cache", "Purging Cache"):
        assert visits(label) == pytest.approx(1_000_000, rel=0.10), label
    assert abs(visits("Clean")) < 100_000
    assert abs(visits("Burst", 2)) < 100_000
    held = reader.read()
    proc.send_signal(signal.SIGUSR1)  # memory warning: the purging cache lets go of its 4 images
    time.sleep(0.3)
    assert held - reader.read() == pytest.approx(4_000_000, rel=0.10)
    assert get(url + "/iosmem/state")["memoryWarnings"] == 1
