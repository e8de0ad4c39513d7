"""The reference app through facebook-wda's real client, unmodified, and its memory truth.

One app process per module (started the way the local target starts it:
``--port 0`` and the ``ServerURLHere`` line); each test opens a session with
the bundle id, which relaunches the app to a fresh state, as on iOS.
"""

import http.client
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

wda = pytest.importorskip("wda")

from pytest_iosmem.targets.local import WDA_URL_RE  # noqa: E402

# one worker for the whole module (--dist loadgroup): its module-scoped reference app is started once
pytestmark = pytest.mark.xdist_group("test_refapp_wda")

BUNDLE = "com.example.refapp"
LEAK = 1_000_000
DATA = Path(__file__).parent / "data"


def start_refapp(*args: str, timeout: float = 10.0):
    """Start the app; return (process, url, seconds until the URL line)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "pytest_iosmem.refapp", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError(f"no URL line within {timeout}s")
        line = proc.stdout.readline()
        m = WDA_URL_RE.search(line)
        assert m, f"no URL line, got {line!r}"
        return proc, m.group(1), time.monotonic() - t0
    except BaseException:
        proc.kill()
        proc.wait(5)
        raise


def stop(proc) -> int:
    proc.terminate()
    try:
        return proc.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def refapp():
    proc, url, startup = start_refapp("--seed", "1", "--leak-size", str(LEAK))
    try:
        yield proc, url, startup
    finally:
        stop(proc)


@pytest.fixture
def client(refapp):
    return wda.Client(refapp[1])


@pytest.fixture
def session(client):
    s = client.session(BUNDLE)  # a session with a bundle id relaunches the app: a fresh state
    yield s
    s.close()


def call(url, method="GET", body=None):
    """(status, payload) of one raw request, errors included."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def get(url):
    return call(url)[1]["value"]


def sample(name):
    return json.loads((DATA / name).read_text())


# -- start and stop -------------------------------------------------------------------------

def test_starts_fast_and_stops_cleanly_on_sigterm_and_sigint():
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc, url, startup = start_refapp()
        assert startup < 1.5, f"took {startup:.2f}s to print its URL"
        assert get(url + "/status")["ready"] is True
        t0 = time.monotonic()
        proc.send_signal(sig)
        assert proc.wait(5) == 0
        assert time.monotonic() - t0 < 2.0
        assert proc.stdout.read() == ""  # stdout carries the one URL line only


def test_bad_options_fail_with_a_message():
    res = subprocess.run([sys.executable, "-m", "pytest_iosmem.refapp", "--size", "nosuch=1MB"],
                         capture_output=True, text=True, timeout=20)
    assert res.returncode == 2 and "SCREEN=SIZE" in res.stderr


# -- protocol shapes, compared with real WebDriverAgent responses --------------------------------

def test_status_has_the_shape_of_real_wda(client, refapp):
    real = sample("wda_status_wda852_ios17_sim_appium_20066.json")
    status, ours = call(refapp[1] + "/status")
    assert status == 200 and set(ours) == set(real) == {"value", "sessionId"}
    for key in ("message", "state", "os", "ios", "ready", "build"):
        assert type(ours["value"][key]) is type(real["value"][key]), key
    assert set(real["value"]["os"]) == set(ours["value"]["os"])
    assert ours["value"]["ready"] is True and ours["value"]["state"] == "success"
    st = client.status()  # facebook-wda adds the sessionId into the value
    assert st["os"]["name"] == "iOS" and "sessionId" in st
    client.healthcheck()
    assert client.is_ready()


def test_session_and_elements_responses_have_the_real_shape(refapp):
    url = refapp[1]
    real = sample("wda_post_session_response_legacy_appium_11890.json")
    status, ours = call(url + "/session", "POST", {"capabilities": {"alwaysMatch": {"bundleId": BUNDLE}}})
    assert status == 200
    assert set(ours["value"]) == set(real["value"])
    assert set(ours["value"]["capabilities"]) == set(real["value"]["capabilities"])
    sid = ours["sessionId"]
    assert ours["value"]["sessionId"] == sid
    real = sample("wda_post_elements_response_appium_inspector_1745.json")
    status, found = call(f"{url}/session/{sid}/elements", "POST", {"using": "accessibility id", "value": "Map"})
    assert status == 200 and found["sessionId"] == sid
    assert len(found["value"]) == 1 and set(found["value"][0]) == set(real["value"][0])
    assert call(f"{url}/session/{sid}", "DELETE")[0] == 200


def test_active_app_info_has_the_real_shape(client, refapp):
    text = (DATA / "wda_active_app_info_facebook_wda_debug_transcript.txt").read_text()
    real = json.loads(text[text.index("Return (206ms): ") + len("Return (206ms): "):text.index("}\n{") + 1])
    ours = client.app_current()
    assert set(ours) == set(real["value"])
    assert ours["bundleId"] == BUNDLE and ours["pid"] == refapp[0].pid


def test_source_is_wda_xml(client, session):
    xml = client.source()
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<XCUIElementTypeApplication ')
    root = ET.fromstring(xml.split("\n", 1)[1])
    # the real sample is truncated mid-element: read its root's start tag only
    real_text = (DATA / "wda_page_source_appium_wrapped_kebbie_pr38_truncated.xml").read_text()
    real_root_tag = re.search(r"<XCUIElementTypeApplication [^>]*>", real_text).group(0)
    real = ET.fromstring(real_root_tag[:-1] + "/>")
    contacts = ET.fromstring((DATA / "wda_get_source_value_contacts_appium_14247.xml").read_text().split("\n", 1)[1])
    assert [a for a in root.attrib if a in contacts.attrib] == list(contacts.attrib)
    assert list(root.attrib) == list(real.attrib)  # same attributes, in the same order
    for el in root.iter():
        assert el.get("type") == el.tag
        siblings = [c for p in root.iter() for c in p if el in list(p)]
        if siblings:
            parent = next(p for p in root.iter() if el in list(p))
            assert el.get("index") == str(list(parent).index(el))  # wdIndex: position among siblings
    buttons = [e.get("label") for e in root.iter("XCUIElementTypeButton")]
    assert buttons == ["Timer Detail", "Retain Cycle", "Observer", "Purging Cache", "Stubborn Cache", "Burst", "Map", "Photo Detail", "Clean"]
    tree = client.source(format="json")
    assert tree["type"] == "Application" and tree["children"]
    assert client.source(accessible=True)["type"] == "Application"


# -- driving the app ------------------------------------------------------------------------------

def test_find_by_label_name_predicate_chain_and_xpath(session):
    assert session(label="Timer Detail").exists
    assert session(name="Clean").exists
    assert session(labelContains="Cache").count() == 2
    assert session(predicate="label BEGINSWITH 'Retain' AND type == 'XCUIElementTypeButton'").exists
    assert session(classChain="**/XCUIElementTypeButton[`label == 'Map'`]").exists
    assert session(classChain="**/Button[`label == 'Map'`]").exists  # facebook-wda expands the short type
    assert session(xpath='//Button[@label="Burst"]').exists
    assert session(id="Observer").exists
    assert session(className="Button").count() == 9
    assert session(className="Button")[3].label == "Observer"  # 1-based, as WDA's class chain positions
    assert session(nameMatches="^Pur.*Cache$").exists
    assert session(className="Other").child(label="Map").exists
    assert not session(label="Back").exists
    assert session(label="Clean").get(timeout=0.5).label == "Clean"


def test_click_navigates_and_back_returns(session):
    session(label="Observer").click()  # facebook-wda taps the element's centre: POST /wda/tap
    assert session(label="Back").exists
    assert session(label="Observer is open").exists
    assert session(label="Back").get().text == "Back"
    assert session(name="status").value == "visits=1"
    session(label="Back").click()
    assert session(label="Observer").exists and not session(label="Back").exists
    session(label="Clean").tap()  # POST /element/:id/click
    assert session(label="Clean is open").exists
    session(label="Back").tap_hold(0.1)  # a long press on a button still ends in a tap
    assert session(label="Clean").exists


def test_element_properties(session):
    el = session(label="Clean").get()
    b = el.bounds
    assert (b.width, b.height) == (358, 44)
    assert el.className == "XCUIElementTypeButton"
    assert el.enabled is True and el.displayed is True and el.visible is True and el.accessible is True
    assert el.label == "Clean" and el.name == "XCUIElementTypeButton" and el.text == "Clean"
    assert el.value is None and el.selected() is False
    assert el.info["accessibilityContainer"] is False


def test_tap_by_coordinates_hits_the_element_under_the_point(session):
    b = session(label="Map").bounds
    session.tap(b.x + 5, b.y + 5)
    assert session(label="Map is open").exists
    session.tap(300, 790)  # nothing tappable there
    assert session(label="Map is open").exists
    session.tap(10, 60)  # the Back button's area in the navigation bar
    assert session(label="Map").exists
    x, y = session(label="Burst").bounds.center
    session.click(x / 390, y / 844)  # fractions of the window, as facebook-wda allows
    assert session(label="Burst is open").exists


def test_stale_element_after_the_screen_changed(session):
    el = session(label="Clean").get()
    el.click()
    with pytest.raises(wda.WDAStaleElementReferenceError):
        el.label


@pytest.mark.slow
def test_not_found_raises_the_clients_own_error(session):
    with pytest.raises(wda.WDAElementNotFoundError):
        session(label="No such button").get(timeout=0.2)
    with pytest.raises(wda.WDAElementNotFoundError):
        session(label="No such button").click(timeout=0.2)
    assert session(label="No such button").wait(timeout=0.1) is None


def test_bad_queries_are_wda_errors(session, refapp):
    with pytest.raises(wda.WDARequestError) as info:
        session(classChain="**/XCUIElementTypeButton[`label ==`]").exists
    assert info.value.value["error"] == "invalid selector" and "label ==" in info.value.value["message"]
    with pytest.raises(wda.WDARequestError) as info:
        session(xpath="//Button[contains(@label, 'x')]").exists
    assert info.value.value["error"] == "invalid selector"
    status, payload = call(f"{refapp[1]}/session/{session.session_id}/elements", "POST", {"using": "css", "value": "x"})
    assert (status, payload["value"]["error"]) == (400, "invalid argument")
    status, payload = call(f"{refapp[1]}/session/{session.session_id}/element", "POST",
                           {"using": "accessibility id", "value": "nope"})
    assert (status, payload["value"]["error"]) == (404, "no such element")


@pytest.mark.slow
def test_no_keyboard_no_alert(session):
    with pytest.raises(wda.WDAKeyboardNotPresentError):
        session.send_keys("hello")
    assert session.alert.exists is False
    with pytest.raises(wda.WDARequestError):
        session.alert.accept()


def test_app_launch_terminate_state_home_and_active_app(refapp, session, client):
    proc = refapp[0]
    assert session.app_state(BUNDLE).value == 4
    assert session.app_current()["pid"] == proc.pid
    assert session.bundle_id == BUNDLE
    session(label="Observer").click()
    client.home()  # to the background: alive, same screen, not on screen
    assert session.app_state(BUNDLE).value == 3
    assert session.app_current()["bundleId"] == "com.apple.springboard"
    assert not session(label="Back").exists
    session.app_activate(BUNDLE)
    assert session(label="Observer is open").exists
    session.app_terminate(BUNDLE)
    assert session.app_state(BUNDLE).value == 1
    assert [a["bundleId"] for a in session.app_list()] == []
    session.app_launch(BUNDLE)  # a fresh launch: the home screen
    assert session.app_state(BUNDLE).value == 4
    assert session(label="Clean").exists and not session(label="Back").exists
    assert session.app_state("com.example.other").value == 1
    with pytest.raises(wda.WDARequestError):
        session.app_launch("com.example.other")


def test_window_swipes_screen_and_device(session, client):
    assert tuple(session.window_size()) == (390, 844)
    session.swipe(100, 600, 100, 200, 0.1)
    session.swipe_up()
    session.swipe_left()
    session.double_tap(200, 800)
    assert session.scale == 3
    assert session.orientation == "PORTRAIT"
    assert client.screenshot(format="raw").startswith(b"\x89PNG\r\n\x1a\n")
    assert session.battery_info()["level"] == 1.0
    assert session.device_info()["model"] == "iPhone"
    assert client.locked() is False
    session.set_clipboard("copied")
    assert session.appium_settings({"snapshotMaxDepth": 10})["snapshotMaxDepth"] == 10


def test_unknown_session_route_and_bodies_are_wda_errors(refapp):
    url = refapp[1]
    status, payload = call(url + "/session/NOPE/source")
    assert (status, payload["value"]["error"]) == (404, "invalid session id")
    assert set(payload["value"]) == {"error", "message", "traceback"}
    status, payload = call(url + "/no/such/route")
    assert (status, payload["value"]["error"]) == (404, "unknown command")
    for body in (b"[1,2", b"[1, 2]", b"\xff\xfe", b'"text"'):
        status, payload = call(url + "/session", "POST", body)
        assert (status, payload["value"]["error"]) == (400, "invalid argument"), body
    status, payload = call(url + "/session", "POST", {"capabilities": {"alwaysMatch": {"bundleId": "com.nope"}}})
    assert (status, payload["value"]["error"]) == (500, "session not created")
    host, port = url.split("//")[1].split(":")
    for head in (b"Content-Length: -5", b"Content-Length: abc", b"Content-Length: 99999999999"):
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.putrequest("POST", "/session", skip_accept_encoding=True)
        conn.putheader(*head.decode().split(": "))
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == 400 and json.load(resp)["value"]["error"] == "invalid argument", head
        conn.close()
    assert get(url + "/status")["ready"] is True  # none of it hurt the app


def test_a_kept_alive_connection_does_not_block_other_clients(refapp):
    host, port = refapp[1].split("//")[1].split(":")
    idle = http.client.HTTPConnection(host, int(port), timeout=5)
    idle.request("GET", "/status")
    assert idle.getresponse().read()  # HTTP/1.1: the connection stays open
    try:
        t0 = time.monotonic()
        assert get(refapp[1] + "/wda/healthcheck") is None
        assert time.monotonic() - t0 < 1.0
    finally:
        idle.close()


def test_live_objects_and_state_endpoints(refapp, session):
    url = refapp[1]
    before = {r["class"]: r for r in get(url + "/iosmem/objects")}
    session(label="Retain Cycle").click()
    session(label="Back").click()
    after = {r["class"]: r for r in get(url + "/iosmem/objects")}
    assert after["RetainCycleViewController"]["count"] == before.get("RetainCycleViewController", {"count": 0})["count"] + 1
    grown = after["RetainCycleViewController.buffer"]["bytes"] - before.get("RetainCycleViewController.buffer", {"bytes": 0})["bytes"]
    assert grown == pytest.approx(LEAK, abs=4096)
    assert after["Closure"]["count"] >= 1
    state = get(url + "/iosmem/state")
    assert state["sizes"]["cycle"] == LEAK and state["sizes"]["burst"] == 40_000_000
    assert state["screen"] == "Memory Lab" and state["pid"] == refapp[0].pid
    session.app_launch(BUNDLE)


def test_photo_detail_leaves_one_small_controller_per_visit(refapp, client):
    """The object leak footprint alone cannot see: one PhotoDetailViewController (256 B of its
    own) per visit, kept by the image loader's completion block; other screens' controllers go."""
    url = refapp[1]
    s = client.session(BUNDLE)
    for visit in range(1, 4):
        s(label="Photo Detail").click()
        assert s(label="Photo").exists
        s(label="Back").click()
        s(label="Clean").click()
        s(label="Back").click()
        table = {r["class"]: r for r in get(url + "/iosmem/objects")}
        assert table["PhotoDetailViewController"] == {"class": "PhotoDetailViewController", "count": visit, "bytes": 256 * visit}
        assert table["Closure"]["count"] == visit  # the completion block that keeps it
        assert "CleanViewController" not in table
    assert get(url + "/iosmem/state")["sizes"]["detail"] == 256
    s = client.session(BUNDLE)  # a relaunch frees them
    assert "PhotoDetailViewController" not in {r["class"] for r in get(url + "/iosmem/objects")}


def test_a_relaunch_frees_everything_even_cycles(refapp, client):
    s = client.session(BUNDLE)
    for label in ("Retain Cycle", "Timer Detail", "Map"):
        s(label=label).click()
        s(label="Back").click()
    assert get(refapp[1] + "/iosmem/state")["retainedBytes"] >= 3 * LEAK
    s = client.session(BUNDLE)
    assert get(refapp[1] + "/iosmem/state")["retainedBytes"] == 0
    classes = {r["class"] for r in get(refapp[1] + "/iosmem/objects")}
    assert classes == {"HomeViewController"}


# -- memory truth ------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/status (Linux)")
def test_memory_truth_per_visit_and_warnings(refapp, client):
    """Each leaky screen retains its configured size; clean and burst do not; warnings do what they say."""
    from pytest_iosmem.targets.procfs import ProcStatusReader

    proc, url, _ = refapp
    session = client.session(BUNDLE)
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
        assert visits(label) == pytest.approx(LEAK, rel=0.10), label
    assert abs(visits("Clean")) < 50_000
    assert abs(visits("Burst", 2)) < 100_000
    held = reader.read()
    proc.send_signal(signal.SIGUSR1)  # memory warning: the purging cache lets go of its 4 images...
    deadline = time.monotonic() + 3
    while get(url + "/iosmem/state")["memoryWarnings"] < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.05)
    assert held - reader.read() == pytest.approx(4 * LEAK, rel=0.10)
    stubborn = {r["class"]: r for r in get(url + "/iosmem/objects")}["StubbornCache.UIImage"]
    assert stubborn["count"] == 4  # ...the stubborn one keeps its 4
    held = reader.read()
    assert call(url + "/iosmem/memory_warning", "POST")[0] == 200
    assert abs(held - reader.read()) < 100_000  # nothing left to give back
    assert get(url + "/iosmem/state")["memoryWarnings"] == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/status (Linux)")
def test_burst_is_a_real_transient_peak():
    """The burst shows in RssAnon while it is held, then goes back to the OS."""
    from pytest_iosmem.targets.procfs import ProcStatusReader

    proc, url, _ = start_refapp("--size", "burst=20MB", "--burst-hold", "0.5")
    try:
        s = wda.Client(url).session(BUNDLE)
        reader = ProcStatusReader(proc.pid)
        base = reader.read()
        x, y = s(label="Burst").bounds.center
        sid = s.session_id
        import threading

        tap = threading.Thread(target=call, args=(f"{url}/session/{sid}/wda/tap", "POST", {"x": x, "y": y}))
        tap.start()
        peak = base
        while tap.is_alive():
            peak = max(peak, reader.read())
            time.sleep(0.01)
        tap.join()
        assert peak - base == pytest.approx(20_000_000, rel=0.15)
        assert abs(reader.read() - base) < 1_000_000
    finally:
        stop(proc)


def _raw(url, method, path, headers, body=b""):
    import http.client
    from urllib.parse import urlsplit

    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"{}")
    finally:
        conn.close()


@pytest.mark.parametrize("headers", [
    # a web page's cross-origin text/plain POST (no preflight): it got 200 and a session
    {"Host": "127.0.0.1", "Origin": "http://evil.example", "Content-Type": "text/plain"},
    {"Host": "127.0.0.1", "Origin": "null", "Content-Type": "text/plain"},
    # DNS rebinding: the page's own name resolved to 127.0.0.1
    {"Host": "evil.example:8100", "Content-Type": "text/plain"},
])
@pytest.mark.parametrize("path", ["/session", "/wda/homescreen", "/iosmem/memory_warning"])
def test_cross_origin_and_foreign_host_requests_are_refused(refapp, headers, path):
    url = refapp[1]
    status, payload = _raw(url, "POST", path, headers, b'{"capabilities": {}}')
    assert status == 403, payload
    assert "refused" in payload["value"]["message"]


def test_loopback_clients_are_served(refapp):
    url = refapp[1]
    port = url.rsplit(":", 1)[1]
    for headers in ({"Host": f"127.0.0.1:{port}"}, {"Host": f"localhost:{port}"},
                    {"Host": f"[::1]:{port}", "Origin": f"http://localhost:{port}"}, {}):
        status, _ = _raw(url, "GET", "/status", headers)
        assert status == 200, headers
