"""The WebDriverAgent HTTP routes facebook-wda uses, answered by the reference app.

Shapes follow WebDriverAgent (appium/WebDriverAgent's FBRoute tables and real
responses recorded in tests/data/wda_*): every answer is
``{"value": ..., "sessionId": ...}``; errors are W3C-shaped
``{"value": {"error": "no such element", "message": ..., "traceback": ""}}``
with the matching HTTP status, so facebook-wda raises its own exceptions.
One request at a time (like WDA's main-thread command handling), on a
plain ``HTTPServer`` in a background thread.
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Callable

from .memory import live
from .model import App
from .query import InvalidSelector, find_class_chain, find_predicate, find_xpath
from .ui import SCREEN_SIZE, Element, build_tree, to_json, to_xml

__all__ = ["Routes", "make_server"]

W3C_ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
# a 1x1 PNG, for /screenshot
_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()


class WDAError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


class Routes:
    """Request handling, independent of the HTTP plumbing (so it is easy to read and test)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.session_id: str | None = None
        self.routes: list[tuple[str, re.Pattern, Callable[..., Any]]] = []
        for method, path, fn in self._table():
            self.routes.append((method, re.compile("^" + path + "$"), fn))

    def _table(self):
        s = r"/session/(?P<sid>[^/]+)"
        e = r"/element/(?P<eid>[^/]+)"
        return [
            ("GET", r"/status", self.status),
            ("GET", r"/wda/healthcheck", self.ok),
            ("GET", r"/wda/locked", lambda **_: False),
            ("POST", r"/wda/unlock", self.ok),
            ("POST", r"/wda/lock", self.ok),
            ("POST", r"/session", self.create_session),
            ("GET", s, self.get_session),
            ("DELETE", s, self.delete_session),
            ("GET", r"/source", self.source),
            ("GET", s + r"/source", self.source),
            ("GET", r"/wda/accessibleSource", self.source_json),
            ("GET", r"/wda/activeAppInfo", self.active_app),
            ("GET", s + r"/wda/activeAppInfo", self.active_app),
            ("POST", r"/wda/homescreen", self.homescreen),
            ("GET", s + r"/wda/screen", self.screen),
            ("GET", s + r"/window/size", self.window_size),
            ("GET", r"/screenshot", lambda **_: _PNG),
            ("GET", s + r"/screenshot", lambda **_: _PNG),
            ("GET", s + r"/orientation", lambda **_: "PORTRAIT"),
            ("POST", s + r"/elements", self.find_elements),
            ("POST", s + r"/element", self.find_element),
            ("POST", s + e + r"/elements", self.find_elements),
            ("POST", s + e + r"/element", self.find_element),
            ("GET", s + e + r"/attribute/(?P<name>[^/]+)", self.attribute),
            ("GET", s + e + r"/rect", lambda eid, **_: self.element(eid).rect),
            ("GET", s + e + r"/text", lambda eid, **_: self._text(self.element(eid))),
            ("GET", s + e + r"/name", lambda eid, **_: self.element(eid).type),
            ("GET", s + e + r"/displayed", lambda eid, **_: self.element(eid).visible),
            ("GET", s + e + r"/enabled", lambda eid, **_: self.element(eid).enabled),
            ("GET", s + e + r"/selected", lambda eid, **_: False),
            ("GET", s + r"/wda/element/(?P<eid>[^/]+)/accessible", lambda eid, **_: self.element(eid).accessible),
            ("GET", s + r"/wda/element/(?P<eid>[^/]+)/accessibilityContainer", lambda eid, **_: False),
            ("POST", s + e + r"/click", self.click_element),
            ("POST", s + e + r"/clear", lambda eid, **_: self.element(eid) and None),
            ("POST", s + e + r"/value", lambda eid, **_: self.element(eid) and None),
            ("POST", s + r"/wda/tap(?:/0)?", self.tap),
            ("POST", s + r"/wda/doubleTap", self.tap),
            ("POST", s + r"/wda/touchAndHold", self.tap),
            ("POST", s + r"/wda/dragfromtoforduration", self.swipe),
            ("POST", s + r"/wda/drag", self.swipe),
            ("POST", s + r"/wda/apps/launch", self.app_launch),
            ("POST", s + r"/wda/apps/activate", self.app_launch),
            ("POST", s + r"/wda/apps/terminate", self.app_terminate),
            ("POST", s + r"/wda/apps/state", self.app_state),
            ("POST", s + r"/wda/keys", self.ok),
            ("GET", r"/iosmem/objects", lambda **_: live.table()),
            ("GET", r"/iosmem/state", self.iosmem_state),
            ("POST", r"/iosmem/memory_warning", self.memory_warning),
        ]

    # -- dispatch ----------------------------------------------------------------------
    def handle(self, method: str, path: str, query: str, body: dict) -> tuple[int, dict]:
        for m, pattern, fn in self.routes:
            if m != method:
                continue
            match = pattern.match(path)
            if not match:
                continue
            params = match.groupdict()
            sid = params.pop("sid", None)
            try:
                if sid is not None and sid != self.session_id:
                    raise WDAError(404, "invalid session id", "Session does not exist")
                with self.app.lock:
                    value = fn(body=body, query=query, **params)
            except WDAError as exc:
                return exc.status, {
                    "value": {"error": exc.error, "message": exc.message, "traceback": ""},
                    "sessionId": self.session_id,
                }
            return 200, {"value": value, "sessionId": self.session_id}
        return 404, {
            "value": {"error": "unknown command", "message": f"Unhandled endpoint: {path} -- {method}", "traceback": ""},
            "sessionId": self.session_id,
        }

    # -- status and sessions -------------------------------------------------------------
    def ok(self, **_):
        return None

    def status(self, **_):
        return {
            "state": "success",
            "ready": True,
            "message": "WebDriverAgent is ready to accept commands",
            "os": {"name": "iOS", "version": "17.4", "sdkVersion": "17.0", "testmanagerdVersion": 65535},
            "ios": {"simulatorVersion": "17.4", "ip": "127.0.0.1"},
            "device": "iphone",
            "build": {"productBundleIdentifier": "com.facebook.WebDriverAgentRunner", "version": "8.5.2"},
            "sessionId": self.session_id,
        }

    def create_session(self, body, **_):
        caps = body.get("capabilities") or {}
        always = caps.get("alwaysMatch") or body.get("desiredCapabilities") or {}
        if not isinstance(always, dict):
            raise WDAError(400, "invalid argument", "capabilities.alwaysMatch must be an object")
        bundle = always.get("bundleId")
        if bundle and bundle != self.app.config.bundle_id:
            raise WDAError(500, "session not created", f"Application '{bundle}' is not installed on the device")
        if bundle:
            self.app.launch()  # a session with a bundle id (re)launches the app
        self.session_id = str(uuid.uuid4()).upper()
        return {
            "sessionId": self.session_id,
            "capabilities": {"device": "iphone", "sdkVersion": "17.4", "browserName": "RefApp",
                             "CFBundleIdentifier": self.app.config.bundle_id},
        }

    def get_session(self, **_):
        return {"sessionId": self.session_id,
                "capabilities": {"device": "iphone", "sdkVersion": "17.4",
                                 "CFBundleIdentifier": self.app.config.bundle_id}}

    def delete_session(self, **_):
        self.session_id = None
        return None

    # -- the screen ------------------------------------------------------------------------
    def tree(self) -> Element:
        return build_tree(self.app)

    def source(self, query, **_):
        fmt = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("format", "xml")
        if fmt == "json":
            return to_json(self.tree())
        if fmt != "xml":
            raise WDAError(400, "invalid argument", f"Only 'xml' and 'json' source types are supported, not {fmt!r}")
        return to_xml(self.tree())

    def source_json(self, **_):
        return to_json(self.tree())

    def screen(self, **_):
        return {"statusBarSize": {"width": SCREEN_SIZE[0], "height": 47}, "scale": 3}

    def window_size(self, **_):
        return {"width": SCREEN_SIZE[0], "height": SCREEN_SIZE[1]}

    def active_app(self, **_):
        if self.app.state == 4:
            return {"pid": os.getpid(), "bundleId": self.app.config.bundle_id, "name": "",
                    "processArguments": {"env": {}, "args": []}}
        return {"pid": 0, "bundleId": "com.apple.springboard", "name": "",
                "processArguments": {"env": {}, "args": []}}

    def homescreen(self, **_):
        if self.app.state == 4:
            self.app.state = 3  # running in the background
        return None

    # -- elements ----------------------------------------------------------------------------
    def _search(self, body, eid=None) -> list[Element]:
        using, value = body.get("using"), body.get("value")
        if not isinstance(using, str) or not isinstance(value, str):
            raise WDAError(400, "invalid argument", "'using' and 'value' must be strings")
        root = self.element(eid) if eid else self.tree()
        try:
            if using == "class chain":
                return find_class_chain(root, value)
            if using == "predicate string":
                return find_predicate(root, value)
            if using in ("accessibility id", "id", "name"):
                return [el for el in root.walk() if el is not root and el.name == value]
            if using == "class name":
                return [el for el in root.walk() if el is not root and el.type == value]
            if using == "xpath":
                return find_xpath(root, value)
            if using in ("link text", "partial link text"):
                key, _, text = value.partition("=")
                if not text:
                    raise InvalidSelector(f"{using} wants 'attribute=text', got {value!r}")
                exact = using == "link text"
                return [el for el in root.walk() if el is not root and (
                    str(el.attribute(key)) == text if exact else text in str(el.attribute(key) or ""))]
        except InvalidSelector as exc:
            raise WDAError(400, "invalid selector", str(exc)) from None
        raise WDAError(400, "invalid selector", f"Unsupported locator strategy {using!r}")

    @staticmethod
    def _ref(el: Element) -> dict:
        return {"ELEMENT": el.uid, W3C_ELEMENT: el.uid}

    def find_elements(self, body, eid=None, **_):
        return [self._ref(el) for el in self._search(body, eid)]

    def find_element(self, body, eid=None, **_):
        found = self._search(body, eid)
        if not found:
            raise WDAError(404, "no such element",
                           f"unable to find an element using '{body.get('using')}', value '{body.get('value')}'")
        return self._ref(found[0])

    def element(self, eid: str) -> Element:
        for el in self.tree().walk():
            if el.uid == eid:
                return el
        raise WDAError(404, "stale element reference",
                       f"The previously found element \"{eid}\" is not present in the current view anymore")

    @staticmethod
    def _text(el: Element):
        return el.value if el.value is not None else el.label

    def attribute(self, eid, name, **_):
        el = self.element(eid)
        value = el.attribute(name)
        return value if value is not None or name in ("name", "label", "value") else None

    def activate(self, el: Element) -> None:
        if not el.enabled or el.action is None:
            return
        kind, arg = el.action
        if kind == "open":
            self.app.open(arg)
        elif kind == "back":
            self.app.back()

    def click_element(self, eid, **_):
        self.activate(self.element(eid))
        return None

    def tap(self, body, **_):
        try:
            x, y = float(body.get("x")), float(body.get("y"))
        except (TypeError, ValueError):
            raise WDAError(400, "invalid argument", f"tap needs numeric x and y, got {body!r}") from None
        hit = None
        for el in self.tree().walk():  # the deepest element under the point wins
            if el.action and el.contains(x, y):
                hit = el
        if hit is not None:
            self.activate(hit)
        return None

    def swipe(self, body, **_):
        for key in ("fromX", "fromY", "toX", "toY"):
            if not isinstance(body.get(key), (int, float)):
                raise WDAError(400, "invalid argument", f"swipe needs numeric {key}")
        return None

    # -- apps ----------------------------------------------------------------------------------
    def _bundle(self, body) -> str:
        bundle = body.get("bundleId")
        if not isinstance(bundle, str) or not bundle:
            raise WDAError(400, "invalid argument", "'bundleId' is required")
        return bundle

    def app_launch(self, body, **_):
        bundle = self._bundle(body)
        if bundle != self.app.config.bundle_id:
            raise WDAError(500, "unknown error", f"Application '{bundle}' is not installed on the device")
        if self.app.state == 1:
            self.app.launch()
        self.app.state = 4
        return None

    def app_terminate(self, body, **_):
        bundle = self._bundle(body)
        if bundle == self.app.config.bundle_id and self.app.state != 1:
            self.app.terminate()
            return True
        return False

    def app_state(self, body, **_):
        bundle = self._bundle(body)
        return self.app.state if bundle == self.app.config.bundle_id else 1

    # -- iosmem debug endpoints --------------------------------------------------------------
    def iosmem_state(self, **_):
        cfg = self.app.config
        from .model import SCREEN_KEYS

        return {
            "pid": os.getpid(),
            "bundleId": cfg.bundle_id,
            "screen": self.app.top.title,
            "depth": len(self.app.stack),
            "sizes": {key: cfg.size_of(key) for key in SCREEN_KEYS.values()},
            "noise": cfg.noise,
            "memoryWarnings": self.app.warnings,
        }

    def memory_warning(self, **_):
        self.app.memory_warning()
        return None


class _Handler(BaseHTTPRequestHandler):
    routes: Routes  # set on the subclass made by make_server
    protocol_version = "HTTP/1.1"
    server_version = "RefAppWDA/1.0"

    def _serve(self, method: str) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            status, payload = self.routes.handle(method, path.rstrip("/") or "/", query, body)
        except ValueError as exc:
            status, payload = 400, {"value": {"error": "invalid argument", "message": f"bad request body: {exc}",
                                              "traceback": ""}, "sessionId": self.routes.session_id}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def log_message(self, format: str, *args) -> None:  # quiet: stdout carries the URL line only
        pass


def make_server(app: App, host: str = "127.0.0.1", port: int = 0) -> HTTPServer:
    handler = type("Handler", (_Handler,), {"routes": Routes(app)})
    return HTTPServer((host, port), handler)


