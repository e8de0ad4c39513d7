"""The app an Appium (XCUITest) session drives, and its lifecycle through that session.

The memory side needs only which app, where, and a way to relaunch it (DESIGN: UI
drivers).  An Appium session says the first two in its capabilities, and offers the
third as ``mobile:`` commands; this module reads the one and sends the other:

- :func:`read_capabilities` (pure): bundle id, UDID, platform from the capabilities
  an Appium server answered with — W3C ``appium:`` names, the plain names the server
  returns after stripping the prefix, WDA's ``CFBundleIdentifier`` that Appium 1.x
  merged in, ``appium:options`` and 1.x's ``desired`` (recordings: tests/data/appium/);
- :func:`session_facts`: the same from a live driver object (``driver.capabilities``),
  with a one-line error naming what is missing;
- :class:`DriverLifecycle`: relaunch, state, memory warning through the driver
  (``mobile: terminateApp`` / ``launchApp`` / ``activateApp`` / ``queryAppState`` /
  ``sendMemoryWarning``), falling back to the target's own tools when the driver refuses.
  It never calls ``quit()`` or creates a session: the session is the user's.

The Appium client is not imported here at all: the driver object comes from the user's
fixture, and its refusals are recognised as selenium's ``WebDriverException`` by name
(imported lazily, only to catch it).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .errors import TargetError, UsageError

if TYPE_CHECKING:
    from .targets.base import App, Target

__all__ = ["SessionFacts", "read_capabilities", "udid_kind", "session_facts", "is_driver", "DriverLifecycle",
           "driver_target", "APP_STATES"]

_UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
#: real devices: 40 hex digits (before iPhone XS), or 8-16 hex digits (ECID form, 00008030-001609210243C02E)
_DEVICE = re.compile(r"^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{16})$")

#: XCUIApplicationState, what ``mobile: queryAppState`` answers
APP_STATES = {0: "unknown", 1: "not running", 2: "running in the background (suspended)",
              3: "running in the background", 4: "running in the foreground"}

_BUNDLE_KEYS = ("bundleId", "CFBundleIdentifier")
_UDID_KEYS = ("udid", "deviceUDID")


@dataclass(frozen=True)
class SessionFacts:
    """What an Appium session says about the app it drives and where."""

    bundle_id: str | None
    udid: str | None
    platform: str | None
    platform_version: str | None = None
    device_name: str | None = None
    app: str | None = None  # the ``app`` capability (a path or URL) when the session installed one

    @property
    def device_kind(self) -> str | None:
        """``simulator`` / ``device`` from the UDID's shape, None when it has none or another."""
        return udid_kind(self.udid)


def udid_kind(udid: str | None) -> str | None:
    """Simulators have UUIDs; real devices 40 hex digits or the 8-16 ECID form."""
    if not udid:
        return None
    if _UUID.match(udid):
        return "simulator"
    if _DEVICE.match(udid):
        return "device"
    return None


def _flatten(caps: Mapping[str, Any]) -> dict[str, Any]:
    """One level of names: ``appium:x`` → ``x``, ``appium:options`` and 1.x's ``desired`` spread
    underneath (what the server resolved wins over what was asked)."""
    out: dict[str, Any] = {}
    for nested in ("desired", "appium:options", "options"):
        inner = caps.get(nested)
        if isinstance(inner, Mapping):
            out.update(_flatten(inner))
    for key, value in caps.items():
        if key in ("desired", "appium:options"):
            continue
        name = key.split(":", 1)[1] if key.startswith("appium:") else key
        out[name] = value
    return out


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def read_capabilities(caps: Mapping[str, Any]) -> SessionFacts:
    """The app, device and platform an Appium session's capabilities name (pure)."""
    flat = _flatten(caps)
    bundle = next((b for b in (_text(flat.get(k)) for k in _BUNDLE_KEYS) if b), None)
    if bundle is not None and bundle.startswith("local.pid."):  # WDA's name for "no app bound"
        bundle = None
    udid = next((u for u in (_text(flat.get(k)) for k in _UDID_KEYS) if u), None)
    if udid is not None and udid.lower() == "auto":  # asked for, not resolved: says nothing
        udid = None
    return SessionFacts(
        bundle_id=bundle,
        udid=udid,
        platform=_text(flat.get("platformName")),
        platform_version=_text(flat.get("platformVersion")),
        device_name=_text(flat.get("deviceName")),
        app=_text(flat.get("app")),
    )


def is_driver(obj: Any) -> bool:
    """A WebDriver session object (the Appium client's ``webdriver.Remote``, or selenium's)."""
    return hasattr(obj, "execute_script") and hasattr(obj, "capabilities") and hasattr(obj, "session_id")


def session_facts(driver: Any, fixture: str, need_udid: bool) -> SessionFacts:
    """The facts of a live session, or a one-line UsageError naming what is missing."""
    try:
        caps = driver.capabilities
    except Exception as exc:  # noqa: BLE001 - any client error: the message names it
        raise UsageError(f"iosmem: fixture {fixture!r}: cannot read the Appium session's capabilities: {exc}") from None
    if not isinstance(caps, Mapping):
        raise UsageError(f"iosmem: fixture {fixture!r}: the session's capabilities are not an object ({caps!r:.80})")
    facts = read_capabilities(caps)
    if facts.platform and facts.platform.lower() not in ("ios", "tvos"):
        raise UsageError(f"iosmem: fixture {fixture!r} drives a {facts.platform} session; memory gates are for iOS apps")
    if facts.bundle_id is None:
        made = f" (it was created from app {facts.app!r}, which the server does not name by bundle id)" if facts.app else ""
        raise UsageError(f"iosmem: the Appium session of fixture {fixture!r} does not say which app it drives: "
                         f"no bundleId in its capabilities{made}; add 'appium:bundleId' to its options")
    if need_udid and facts.udid is None:
        raise UsageError(f"iosmem: the Appium session of fixture {fixture!r} does not say which device it drives: "
                         "no udid in its capabilities; add 'appium:udid' to its options")
    return facts


def _refusal(exc: BaseException) -> bool:
    """A command the driver refused (WebDriverException), as opposed to a bug of ours."""
    return any(c.__name__ == "WebDriverException" for c in type(exc).__mro__)


@dataclass
class DriverLifecycle:
    """The app's lifecycle through the user's driver; the target's tools when the driver refuses.

    ``notes`` collects one line per fallback (the test's measurement notes, once bound).
    """

    driver: Any
    target: "Target"
    bundle_id: str
    notes: list[str] = field(default_factory=list)
    attach_timeout: float = 10.0
    #: (command, answer) of every mobile: command sent, in order: what the tests and notes read
    sent: list[tuple[str, str]] = field(default_factory=list)

    def _mobile(self, name: str, **args: Any) -> tuple[bool, Any]:
        """(True, value) when the driver did it; (False, reason) when it refused."""
        try:
            value = self.driver.execute_script(f"mobile: {name}", args)
        except Exception as exc:  # noqa: BLE001 - a refusal is recognised below, the rest re-raised
            if not _refusal(exc):
                raise
            reason = str(getattr(exc, "msg", None) or exc).strip().splitlines()[0][:200]
            self.sent.append((name, f"refused: {reason}"))
            return False, reason
        self.sent.append((name, "ok"))
        return True, value

    def state(self, bundle_id: str | None = None) -> int | None:
        ok, value = self._mobile("queryAppState", bundleId=bundle_id or self.bundle_id)
        return value if ok and isinstance(value, int) else None

    def relaunch(self, bundle_id: str | None = None) -> "App":
        """A fresh app: terminate then launch through the driver (else the target), then find its process."""
        bundle = bundle_id or self.bundle_id
        ok, reason = self._mobile("terminateApp", bundleId=bundle)
        if ok:
            ok, reason = self._mobile("launchApp", bundleId=bundle)
        if not ok:
            self.notes.append(f"relaunch: the driver refused ({reason}); relaunched by the {self.target.kind} target")
            from .targets.base import AppSpec

            app = self.target.launch(AppSpec(bundle_id=bundle, name=bundle))
            app.launched = False  # the user's session goes on driving it: never stopped by the plugin
            return app
        return self.find(bundle)

    def find(self, bundle_id: str | None = None) -> "App":
        """The app's running process, found by the target (bounded wait right after a launch)."""
        bundle = bundle_id or self.bundle_id
        attach: Callable[[str], "App"] | None = getattr(self.target, "attach_bundle", None)
        if attach is None:
            raise TargetError(f"the {self.target.kind} target cannot find an app by bundle id")
        deadline = time.monotonic() + self.attach_timeout
        while True:
            try:
                return attach(bundle)
            except TargetError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.25)

    def memory_warning(self, app: "App") -> None:
        """``mobile: sendMemoryWarning`` (XCUITest, real devices); the target's route when refused."""
        ok, reason = self._mobile("sendMemoryWarning", bundleId=app.bundle_id or self.bundle_id)
        if ok:
            return
        self.notes.append(f"memory warning: the driver refused ({reason}); sent by the {self.target.kind} target")
        self.target.memory_warning(app)


def driver_target(target: "Target", lifecycle: DriverLifecycle) -> "Target":
    """The run's target with memory warnings routed through the user's driver first.

    The same target (its state is shared, not copied) seen through a subclass that
    overrides ``memory_warning`` only: everything else, and every optional ability a
    runtime-checkable protocol looks for statically (``allocation_stacks``,
    ``failure_artifacts``), is the target's own.  ``.lifecycle`` is the driver's side.
    """
    base = type(target)

    def memory_warning(self: Any, app: "App") -> None:
        lifecycle.memory_warning(app)

    cls = type(f"Driver{base.__name__}", (base,), {"memory_warning": memory_warning, "lifecycle": lifecycle})
    view = object.__new__(cls)
    view.__dict__ = target.__dict__  # one target: what the view learns, the target knows
    return view


def server_url(driver: Any) -> str | None:
    """The URL the session's commands go to (selenium's RemoteConnection keeps it in its client config)."""
    executor = getattr(driver, "command_executor", None)
    for holder, attr in ((getattr(executor, "client_config", None), "remote_server_addr"),
                         (getattr(executor, "_client_config", None), "remote_server_addr"), (executor, "_url")):
        value = getattr(holder, attr, None) if holder is not None else None
        if isinstance(value, str) and value:
            return value
    return None


def open_driver(url: str, capabilities: Mapping[str, Any]) -> Any:
    """A new Appium session (the ``appium_driver`` fixture's): the Appium client imported here, lazily."""
    try:
        from appium import webdriver
        from appium.options.ios import XCUITestOptions
    except ImportError:
        raise UsageError("iosmem: the appium_driver fixture needs the Appium Python client: "
                         "pip install 'pytest-iosmem[appium]'") from None
    try:
        return webdriver.Remote(url, options=XCUITestOptions().load_capabilities(dict(capabilities)))
    except Exception as exc:  # noqa: BLE001 - a refused or unreachable server: one line naming the URL
        said = str(getattr(exc, "msg", None) or exc).strip().splitlines()
        raise TargetError(f"no Appium session at {url}: {said[0][:200] if said else type(exc).__name__}") from None
