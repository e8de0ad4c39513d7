"""Issue 14, item 4: the WebDriverAgent session is bound to the app under test, which keeps running.

The seam: a stand-in WebDriverAgent over HTTP on this host.  Its answers are
real recordings (``GET /status`` of WDA 8.5.2 on an iOS 17.4 simulator, a
``POST /session`` response), and its decisions follow WebDriverAgent's source
(appium/WebDriverAgent ``FBSessionCommands.m``
``prepareApplicationForSessionWithBundleID``; ``FBSession.m`` ``kill``):

- a session with a ``bundleId`` relaunches that app when it runs, unless
  ``forceAppLaunch`` is false (the pid under measurement would be gone);
- closing a session terminates its app unless ``shouldTerminateApp`` is false;
- a session without a bundle id acts on the app in front.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("wda")

from pytest_iosmem.errors import TargetError  # noqa: E402
from pytest_iosmem.wda_glue import bind_session, connect, session_capabilities  # noqa: E402

DATA = Path(__file__).parent / "data"
STATUS = (DATA / "wda_status_wda852_ios17_sim_appium_20066.json").read_text()
SESSION = json.loads((DATA / "wda_post_session_response_legacy_appium_11890.json").read_text())
SID = SESSION["sessionId"]


class StandInWda:
    """Records what the app under test lived through: relaunches and terminations."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.app_events: list[str] = []
        self.session_app: str | None = None
        self.terminate_on_close = True
        wda = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, code: int, text: str) -> None:
                data = text.encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/status":
                    return self._send(200, STATUS)
                if self.path == "/wda/locked":  # facebook-wda asks before a session (FBCustomCommands.m)
                    return self._send(200, '{"value": false, "sessionId": null}')
                return self._send(404, '{"value": {"error": "unknown command"}}')

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if self.path == "/session":
                    wda.bodies.append(body)
                    caps = ((body.get("capabilities") or {}).get("alwaysMatch")) or {}
                    bundle = caps.get("bundleId")
                    if bundle and caps.get("forceAppLaunch", True):
                        wda.app_events.append(f"relaunched {bundle}")  # XCUIApplication launch: a new process
                    wda.session_app = bundle
                    wda.terminate_on_close = caps.get("shouldTerminateApp", True)
                    return self._send(200, json.dumps(SESSION))
                return self._send(404, '{"value": {"error": "unknown command"}}')

            def do_DELETE(self):
                if self.path.rstrip("/") == f"/session/{SID}":
                    if wda.session_app and wda.terminate_on_close:
                        wda.app_events.append(f"terminated {wda.session_app}")
                    return self._send(200, '{"value": null, "sessionId": null}')
                return self._send(404, '{"value": {"error": "invalid session id"}}')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in():
    wda = StandInWda()
    yield wda
    wda.close()


def test_session_is_bound_to_the_bundle_id_without_relaunching_or_killing_it(stand_in):
    connect(stand_in.url, 5)
    client = bind_session(stand_in.url, "com.example.MyApp", 5)
    assert client.session_id == SID
    [body] = stand_in.bodies
    caps = body["capabilities"]["alwaysMatch"]
    assert caps == {"bundleId": "com.example.MyApp", "forceAppLaunch": False, "shouldTerminateApp": False,
                    "shouldWaitForQuiescence": False}
    assert body == session_capabilities("com.example.MyApp")
    client.close()  # what the wda_session fixture does at the end of a test
    assert stand_in.app_events == []  # never relaunched, never terminated by WDA


def test_facebook_wdas_own_session_call_would_relaunch_the_app(stand_in):
    """Why bind_session makes its own request: facebook-wda 1.5's session(bundle_id) sends no forceAppLaunch."""
    import wda

    wda.Client(stand_in.url).session("com.example.MyApp").close()
    assert stand_in.app_events == ["relaunched com.example.MyApp", "terminated com.example.MyApp"]


def test_an_app_attached_by_pid_gets_the_app_in_front(stand_in):
    client = bind_session(stand_in.url, None, 5)
    assert client.session_id == SID
    assert "bundleId" not in json.dumps(stand_in.bodies)


def test_a_refused_session_names_the_app_and_the_url(stand_in):
    with pytest.raises(TargetError, match=r"refused a session on com.example.MyApp \(HTTP 404\)"):
        bind_session(stand_in.url + "/nowhere", "com.example.MyApp", 5)
