"""The WebDriverAgent commands the reference app answers, independent of HTTP.

Routes, shapes and errors follow appium/WebDriverAgent (the ``FBRoute``
tables of WebDriverAgentLib/Commands/*.m, FBCommandStatus.m for error
names and HTTP statuses, FBResponsePayload.m for the envelope) and the real
responses recorded in tests/data/wda_*: every answer is
``{"value": ..., "sessionId": <active session or null>}``; an error is
``{"value": {"error": "no such element", "message": ..., "traceback": ""}}``
with the status WDA uses, so facebook-wda raises its own exceptions.

A route exists with the ``/session/:id`` prefix, without it, or both, as in
WDA; a prefixed route with an id other than the active session's is
"invalid session id".
"""

from __future__ import annotations

import base64
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from . import allocations
from .appium import CapabilityError, MOBILE_COMMANDS, merge_capabilities, parse_mobile_script, strip_prefixes
from .memory import live
from .model import SCREEN_KEYS, App
from .query import InvalidArgument, InvalidSelector, locate
from .ui import SCREEN_SIZE, Element, build_tree, element_at, to_json, to_xml

__all__ = ["WDAError", "Request", "Routes", "W3C_ELEMENT"]

W3C_ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
SPRINGBOARD = "com.apple.springboard"
# a 1x1 PNG, for /screenshot
_PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)).decode()


class WDAError(Exception):
    """A command that failed the way WDA reports it: W3C error name, HTTP status, message."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message

    def payload(self, session_id: str | None) -> dict:
        return {"value": {"error": self.error, "message": self.message, "traceback": ""}, "sessionId": session_id}


def no_such_element(message: str) -> WDAError:
    return WDAError(404, "no such element", message)


def invalid_argument(message: str) -> WDAError:
    return WDAError(400, "invalid argument", message)


def no_such_alert() -> WDAError:
    return WDAError(404, "no such alert", "An attempt was made to operate on a modal dialog when one was not open")


@dataclass
class Request:
    """What a command handler gets: the JSON body, the query string and the path's parameters."""

    body: dict = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Any]
SESSION, FREE, BOTH = "session", "free", "both"


class Routes:
    """The command table and its handlers; :meth:`handle` is the only entry point."""

    def __init__(self, app: App, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.session_id: str | None = None
        self.session_caps: dict[str, Any] = {}
        self.started = time.strftime("%b %d %Y %H:%M:%S")
        self.pasteboard = b""
        self.settings: dict[str, Any] = {"shouldUseCompactResponses": True, "snapshotMaxDepth": 50}
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        for method, path, scope, handler in self._table():
            unlocked = handler in (self.status, self.ok, self.objects, self.stacks)
            if scope in (FREE, BOTH):
                self._routes.append((method, re.compile("^" + path + "$"), handler, unlocked))
            if scope in (SESSION, BOTH):
                self._routes.append((method, re.compile(r"^/session/(?P<sid>[^/]+)" + path + "$"), handler, unlocked))

    def _table(self) -> list[tuple[str, str, str, Handler]]:
        e = r"/element/(?P<eid>[^/]+)"
        we = r"/wda/element/(?P<eid>[^/]+)"
        return [
            # FBSessionCommands
            ("GET", r"/status", FREE, self.status),
            ("GET", r"/wda/healthcheck", FREE, self.ok),
            ("POST", r"/session", FREE, self.create_session),
            ("GET", r"", SESSION, self.get_session),
            ("DELETE", r"", SESSION, self.delete_session),
            ("POST", r"/wda/apps/launch", SESSION, self.app_launch),
            ("POST", r"/wda/apps/activate", SESSION, self.app_launch),
            ("POST", r"/wda/apps/terminate", SESSION, self.app_terminate),
            ("POST", r"/wda/apps/state", SESSION, self.app_state),
            ("GET", r"/wda/apps/list", SESSION, self.app_list),
            ("GET", r"/appium/settings", SESSION, lambda r: dict(self.settings)),
            ("POST", r"/appium/settings", SESSION, self.update_settings),
            ("POST", r"/url", SESSION, self.ok),
            # what an Appium server adds for the XCUITest driver (refapp/appium.py)
            ("POST", r"/execute/(?:sync|async)", SESSION, self.execute),
            # FBDebugCommands
            ("GET", r"/source", BOTH, self.source),
            ("GET", r"/wda/accessibleSource", BOTH, lambda r: to_json(self.tree())),
            # FBCustomCommands
            ("GET", r"/wda/activeAppInfo", BOTH, self.active_app),
            ("POST", r"/wda/homescreen", FREE, self.homescreen),
            ("POST", r"/wda/deactivateApp", SESSION, self.deactivate),
            ("GET", r"/wda/locked", BOTH, lambda r: False),
            ("POST", r"/wda/lock", BOTH, self.ok),
            ("POST", r"/wda/unlock", BOTH, self.ok),
            ("GET", r"/wda/screen", BOTH, self.screen),
            ("GET", r"/wda/batteryInfo", SESSION, lambda r: {"level": 1.0, "state": 2}),
            ("GET", r"/wda/device/info", BOTH, self.device_info),
            ("POST", r"/wda/pressButton", SESSION, self.press_button),
            ("POST", r"/wda/keyboard/dismiss", SESSION, self.ok),
            ("POST", r"/wda/setPasteboard", BOTH, self.set_pasteboard),
            ("POST", r"/wda/getPasteboard", BOTH, lambda r: base64.b64encode(self.pasteboard).decode()),
            ("POST", r"/timeouts", SESSION, self.ok),
            # FBScreenshotCommands, FBOrientationCommands
            ("GET", r"/screenshot", BOTH, lambda r: _PNG),
            ("GET", r"/orientation", BOTH, lambda r: "PORTRAIT"),
            ("POST", r"/orientation", BOTH, self.set_orientation),
            ("GET", r"/rotation", BOTH, lambda r: {"x": 0, "y": 0, "z": 0}),
            # FBAlertViewCommands: this app never shows an alert
            ("GET", r"/alert/text", BOTH, self.no_alert),
            ("POST", r"/alert/text", SESSION, self.no_alert),
            ("POST", r"/alert/accept", BOTH, self.no_alert),
            ("POST", r"/alert/dismiss", BOTH, self.no_alert),
            ("GET", r"/wda/alert/buttons", SESSION, self.no_alert),
            # FBFindElementCommands
            ("POST", r"/elements", SESSION, self.find_elements),
            ("POST", r"/element", SESSION, self.find_element),
            ("POST", e + r"/elements", SESSION, self.find_elements),
            ("POST", e + r"/element", SESSION, self.find_element),
            ("GET", r"/element/active", SESSION, self.active_element),
            # FBElementCommands
            ("GET", r"/window/size", BOTH, lambda r: {"width": SCREEN_SIZE[0], "height": SCREEN_SIZE[1]}),
            ("GET", r"/window/rect", SESSION, lambda r: {"x": 0, "y": 0, "width": SCREEN_SIZE[0], "height": SCREEN_SIZE[1]}),
            ("GET", e + r"/attribute/(?P<name>[^/]+)", SESSION, self.attribute),
            ("GET", e + r"/rect", SESSION, lambda r: self.element(r).rect),
            ("GET", e + r"/text", SESSION, lambda r: self._text(self.element(r))),
            ("GET", e + r"/name", SESSION, lambda r: self.element(r).type),
            ("GET", e + r"/displayed", SESSION, lambda r: self.element(r).visible),
            ("GET", e + r"/enabled", SESSION, lambda r: self.element(r).enabled),
            ("GET", e + r"/selected", SESSION, self.element_false),
            ("GET", e + r"/screenshot", SESSION, self.element_screenshot),
            ("GET", we + r"/accessible", SESSION, lambda r: self.element(r).accessible),
            ("GET", we + r"/accessibilityContainer", SESSION, self.element_false),
            ("POST", e + r"/click", SESSION, self.click_element),
            ("POST", e + r"/clear", SESSION, self.type_into),
            ("POST", e + r"/value", SESSION, self.type_into),
            ("POST", we + r"/(?:tap|touchAndHold|forceTouch)", SESSION, self.click_element),
            ("POST", we + r"/(?:doubleTap|tapWithNumberOfTaps|twoFingerTap)", SESSION, self.click_element),
            ("POST", we + r"/(?:swipe|scroll|scrollTo|pinch|rotate|dragfromtoforduration|pressAndDragWithVelocity)",
             SESSION, self.element_gesture),
            ("POST", r"/wda/tap(?:/0)?", SESSION, self.tap),
            ("POST", r"/wda/(?:touchAndHold|forceTouch)", SESSION, self.tap),
            ("POST", r"/wda/doubleTap", SESSION, self.double_tap),
            ("POST", r"/wda/(?:dragfromtoforduration|pressAndDragWithVelocity|drag)", SESSION, self.drag),
            ("POST", r"/wda/(?:swipe|scroll|pinch|rotate)", SESSION, self.ok),
            ("POST", r"/wda/keys", SESSION, self.no_keyboard),
            # pytest-iosmem's own: the truth the memory gates are checked against
            ("GET", r"/iosmem/objects", FREE, self.objects),
            ("GET", r"/iosmem/stacks", FREE, self.stacks),
            ("GET", r"/iosmem/state", FREE, self.iosmem_state),
            ("POST", r"/iosmem/memory_warning", FREE, self.memory_warning),
        ]

    # -- dispatch -------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], body: dict) -> tuple[int, dict]:
        """Answer one request: (HTTP status, JSON payload). Never raises for a bad request."""
        path = path.rstrip("/") or "/"
        allowed = False
        for m, pattern, fn, unlocked in self._routes:
            match = pattern.match(path)
            if not match:
                continue
            if m != method:
                allowed = True
                continue
            params = match.groupdict()
            sid = params.pop("sid", None)
            request = Request(body=body, query=query, params=params)
            try:
                if unlocked:
                    value = fn(request)
                else:
                    with self.app.lock:
                        if sid is not None and sid != self.session_id:
                            raise WDAError(404, "invalid session id", "Session does not exist")
                        value = fn(request)
            except WDAError as exc:
                return exc.status, exc.payload(self.session_id)
            except (InvalidSelector, InvalidArgument) as exc:
                error = "invalid selector" if isinstance(exc, InvalidSelector) else "invalid argument"
                return 400, WDAError(400, error, str(exc)).payload(self.session_id)
            return 200, {"value": value, "sessionId": self.session_id}
        what = "with this method" if allowed else "at all"
        return 404, WDAError(404, "unknown command",
                             f"Unhandled endpoint: {path} -- {method} is not served {what} "
                             "(the reference app serves the part of WebDriverAgent that facebook-wda uses, and the "
                             f"mobile: commands {', '.join(MOBILE_COMMANDS)} of an Appium server)"
                             ).payload(self.session_id)

    # -- status and sessions ---------------------------------------------------------------
    def ok(self, request: Request) -> None:
        return None

    def status(self, request: Request) -> dict:
        return {
            "message": "WebDriverAgent is ready to accept commands",
            "state": "success",
            "os": {"testmanagerdVersion": 65535, "name": "iOS", "sdkVersion": "17.0", "version": "17.4"},
            "ios": {"ip": self.host},
            "ready": True,
            "device": "iphone",
            "build": {"time": self.started, "productBundleIdentifier": "com.facebook.WebDriverAgentRunner"},
            "refapp": {"bundleId": self.app.config.bundle_id, "pid": os.getpid()},
        }

    def _capabilities(self) -> dict:
        """WDA's own session capabilities; for an Appium-style request, what an Appium 2 server answers
        instead: the session's capabilities with the ``appium:`` prefixes stripped (WDA's are not merged
        in: tests/data/appium/createSession_result_w3c_sim_appium2-1-3_tai2.json)."""
        if self.session_caps:
            return dict(self.session_caps)
        return {"device": "iphone", "browserName": "RefApp", "sdkVersion": "17.4",
                "CFBundleIdentifier": self.app.config.bundle_id}

    def device_udid(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_DNS, self.app.config.bundle_id)).upper()

    def create_session(self, request: Request) -> dict:
        try:
            asked = merge_capabilities(request.body)
        except CapabilityError as exc:
            raise invalid_argument(str(exc)) from None
        caps = strip_prefixes(asked)
        platform = caps.get("platformName")
        if platform is not None and (not isinstance(platform, str) or platform.lower() != "ios"):
            raise WDAError(500, "session not created", f"platformName {platform!r}: the reference app is an iOS app")
        bundle = caps.get("bundleId")
        if bundle is not None and not isinstance(bundle, str):
            raise invalid_argument("'bundleId' must be a string")
        if bundle and bundle != self.app.config.bundle_id:
            raise WDAError(500, "session not created", f"Application '{bundle}' is not installed on the device")
        if bundle and caps.get("autoLaunch", True) is not False:
            self.app.launch()  # XCUIApplication.launch: terminates a running app, starts it fresh
        self.session_id = str(uuid.uuid4()).upper()
        if any(":" in key for key in asked) or "automationName" in caps:
            # an Appium server answers with the session's capabilities as it resolved them
            self.session_caps = {"platformName": "iOS", "automationName": "XCUITest", "platformVersion": "17.4",
                                 "deviceName": "RefApp iPhone", "udid": self.device_udid(), **caps}
        else:
            self.session_caps = {}
        return {"sessionId": self.session_id, "capabilities": self._capabilities()}

    def get_session(self, request: Request) -> dict:
        return {"sessionId": self.session_id, "capabilities": self._capabilities()}

    def delete_session(self, request: Request) -> None:
        self.session_id = None
        self.session_caps = {}

    def update_settings(self, request: Request) -> dict:
        settings = request.body.get("settings")
        if not isinstance(settings, dict):
            raise invalid_argument("'settings' must be an object")
        self.settings.update(settings)
        return dict(self.settings)

    # -- the screen ----------------------------------------------------------------------------
    def tree(self) -> Element:
        return build_tree(self.app)

    def source(self, request: Request) -> Any:
        fmt = request.query.get("format", "xml")
        if fmt == "xml":
            return to_xml(self.tree())
        if fmt == "json":
            return to_json(self.tree())
        if fmt == "description":
            return "\n".join(f"{el.type[15:]}, {{{{{el.x}, {el.y}}}, {{{el.width}, {el.height}}}}}"
                             + (f", label: '{el.label}'" if el.label else "") for el in self.tree().walk())
        raise invalid_argument(f"Unknown source format '{fmt}'. Only xml, json and description source formats are supported.")

    def screen(self, request: Request) -> dict:
        return {"statusBarSize": {"width": SCREEN_SIZE[0], "height": 47}, "scale": 3,
                "screenSize": {"width": SCREEN_SIZE[0], "height": SCREEN_SIZE[1]}}

    def device_info(self, request: Request) -> dict:
        return {"currentLocale": "en_US", "timeZone": "UTC", "name": "RefApp iPhone", "model": "iPhone",
                "uuid": self.device_udid(),
                "userInterfaceIdiom": 0, "userInterfaceStyle": "light", "isSimulator": False, "thermalState": 0}

    def set_orientation(self, request: Request) -> None:
        if request.body.get("orientation") not in ("PORTRAIT", "UIA_DEVICE_ORIENTATION_PORTRAIT"):
            raise WDAError(500, "unsupported operation", "The reference app supports the PORTRAIT orientation only")

    def active_app(self, request: Request) -> dict:
        foreground = self.app.state == 4
        return {"pid": os.getpid() if foreground else 0,
                "bundleId": self.app.config.bundle_id if foreground else SPRINGBOARD,
                "name": "", "processArguments": {"env": {}, "args": []}}

    def homescreen(self, request: Request) -> None:
        self.app.background()

    def deactivate(self, request: Request) -> None:
        self.app.background()
        self.app.activate()

    def press_button(self, request: Request) -> None:
        name = request.body.get("name")
        if name == "home":
            self.app.background()
        elif name not in ("volumeUp", "volumeDown"):
            raise invalid_argument(f"The button '{name}' is unknown. Only home, volumeUp and volumeDown buttons are supported.")

    def set_pasteboard(self, request: Request) -> None:
        content = request.body.get("content")
        if not isinstance(content, str):
            raise invalid_argument("'content' must be a base64-encoded string")
        try:
            self.pasteboard = base64.b64decode(content, validate=True)
        except ValueError:
            raise invalid_argument("'content' is not base64") from None

    def no_alert(self, request: Request) -> None:
        raise no_such_alert()

    def no_keyboard(self, request: Request) -> None:
        raise WDAError(400, "invalid element state", "The on-screen keyboard must be present to send keys")

    # -- elements ----------------------------------------------------------------------------
    def _search(self, request: Request) -> list[Element]:
        using, value = request.body.get("using"), request.body.get("value")
        if not isinstance(using, str) or not isinstance(value, str):
            raise invalid_argument("'using' and 'value' must be strings")
        root = self.element(request) if "eid" in request.params else self.tree()
        return locate(root, using, value)

    @staticmethod
    def _ref(el: Element) -> dict:
        return {"ELEMENT": el.uid, W3C_ELEMENT: el.uid}

    def find_elements(self, request: Request) -> list[dict]:
        return [self._ref(el) for el in self._search(request)]

    def find_element(self, request: Request) -> dict:
        found = self._search(request)
        if not found:
            raise no_such_element(f"Unable to find an element using '{request.body.get('using')}', "
                                  f"value '{request.body.get('value')}'")
        return self._ref(found[0])

    def active_element(self, request: Request) -> None:
        raise no_such_element("No element has the keyboard focus")

    def element(self, request: Request) -> Element:
        eid = request.params.get("eid", "")
        for el in self.tree().walk():
            if el.uid == eid:
                return el
        raise WDAError(404, "stale element reference",
                       f"The element identified by \"{eid}\" is either not present or it has expired "
                       f"from the internal cache. Try to find it again")

    def element_false(self, request: Request) -> bool:
        """selected / accessibilityContainer: no element of this app is either."""
        self.element(request)
        return False

    def element_screenshot(self, request: Request) -> str:
        self.element(request)
        return _PNG

    def element_gesture(self, request: Request) -> None:
        """swipe, scroll, pinch... on an element: nothing scrolls in this app, but the element must exist."""
        self.element(request)

    @staticmethod
    def _text(el: Element) -> Any:
        return el.value or el.label

    def attribute(self, request: Request) -> Any:
        return self.element(request).attribute(request.params["name"])

    def _activate(self, el: Element | None) -> None:
        if el is None or not el.enabled or el.action is None:
            return
        kind, arg = el.action
        if kind == "open":
            self.app.open(arg)
        elif kind == "back":
            self.app.back()

    def click_element(self, request: Request) -> None:
        self._activate(self.element(request))

    def type_into(self, request: Request) -> None:
        el = self.element(request)
        raise WDAError(400, "invalid element state",
                       f"{el.type} '{el.label or el.name or ''}' does not accept text: "
                       f"the on-screen keyboard must be present to send keys")

    @staticmethod
    def _point(body: dict, xk: str = "x", yk: str = "y") -> tuple[float, float]:
        x, y = body.get(xk), body.get(yk)
        if isinstance(x, bool) or isinstance(y, bool) or not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
            raise invalid_argument(f"'{xk}' and '{yk}' must be numbers, got {x!r} and {y!r}")
        return float(x), float(y)

    def tap(self, request: Request) -> None:
        x, y = self._point(request.body)
        self._activate(element_at(self.tree(), x, y))

    def double_tap(self, request: Request) -> None:
        x, y = self._point(request.body)
        for _ in range(2):  # the second tap lands on whatever the first one brought up
            self._activate(element_at(self.tree(), x, y))

    def drag(self, request: Request) -> None:
        self._point(request.body, "fromX", "fromY")
        self._point(request.body, "toX", "toY")

    # -- apps ----------------------------------------------------------------------------------
    def _bundle(self, request: Request) -> str:
        bundle = request.body.get("bundleId")
        if not isinstance(bundle, str) or not bundle:
            raise invalid_argument("'bundleId' is required")
        return bundle

    def app_launch(self, request: Request) -> None:
        bundle = self._bundle(request)
        if bundle != self.app.config.bundle_id:
            raise WDAError(500, "unknown error", f"Application '{bundle}' is not installed on the device")
        self.app.activate()

    def app_terminate(self, request: Request) -> bool:
        if self._bundle(request) == self.app.config.bundle_id and self.app.state != 1:
            self.app.terminate()
            return True
        return False

    def app_state(self, request: Request) -> int:
        return self.app.state if self._bundle(request) == self.app.config.bundle_id else 1

    def app_list(self, request: Request) -> list[dict]:
        return [{"pid": os.getpid(), "bundleId": self.app.config.bundle_id}] if self.app.state != 1 else []

    def execute(self, request: Request) -> Any:
        """``mobile:`` commands, as appium-xcuitest-driver maps them onto WDA (refapp/appium.py)."""
        script = request.body.get("script")
        name = parse_mobile_script(script)
        if name is None:
            raise WDAError(404, "unknown command", f"{script!r}: only mobile: commands are supported in the "
                           "native context, and the reference app has no web context")
        if name not in MOBILE_COMMANDS:
            raise WDAError(404, "unknown command", f'Unknown mobile command "{name}". Only '
                           f"{', '.join(MOBILE_COMMANDS)} commands are supported.")
        args = request.body.get("args", [])
        if not isinstance(args, list) or (args and not isinstance(args[0], dict)):
            raise invalid_argument("'args' must be a list holding one object of named arguments")
        sub = Request(body=dict(args[0]) if args else {}, query=request.query, params=request.params)
        if name == "terminateApp":
            return self.app_terminate(sub)
        if name == "queryAppState":
            return self.app_state(sub)
        if name == "sendMemoryWarning":
            if self._bundle(sub) != self.app.config.bundle_id or self.app.state == 1:
                raise WDAError(500, "unknown error", f"The application '{sub.body['bundleId']}' is not running")
            self.app.memory_warning()
            return None
        return self.app_launch(sub)  # launchApp and activateApp: WDA's apps/launch and apps/activate

    # -- pytest-iosmem's debug endpoints -----------------------------------------------------
    def objects(self, request: Request) -> list[dict]:
        return live.table()

    def stacks(self, request: Request) -> dict:
        """Live allocations grouped by allocation stack (tracemalloc), when started with them."""
        if not allocations.enabled():
            raise WDAError(404, "unsupported operation",
                           f"allocation stacks are off: start the app with {allocations.ENV}=FRAMES (e.g. 32)")
        return allocations.snapshot()

    def iosmem_state(self, request: Request) -> dict:
        cfg = self.app.config
        return {
            "pid": os.getpid(),
            "bundleId": cfg.bundle_id,
            "appState": self.app.state,
            "screen": self.app.top.title,
            "depth": len(self.app.stack),
            "sizes": {key: cfg.size_of(key) for key in SCREEN_KEYS.values()},
            "leakSize": cfg.leak_size,
            "noise": cfg.noise,
            "burstHold": cfg.burst_hold,
            "seed": cfg.seed,
            "memoryWarnings": self.app.warnings,
            "retainedBytes": live.total_bytes(),
            "allocationStacks": allocations.enabled(),
        }

    def memory_warning(self, request: Request) -> None:
        self.app.memory_warning()
