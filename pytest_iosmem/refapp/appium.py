"""The part of an Appium server (XCUITest driver) the reference app answers itself.

The Appium Python client (``webdriver.Remote`` with ``XCUITestOptions``) talks W3C
WebDriver to an Appium server, which proxies most commands to WebDriverAgent and
handles a few itself.  The reference app already speaks WDA; this module adds what
the Appium server adds, so the real client's wire protocol runs against it:

- **new session**: W3C capability processing (``alwaysMatch`` merged with the first
  ``firstMatch`` entry, https://www.w3.org/TR/webdriver/#processing-capabilities);
  extension capabilities carry a vendor prefix (``appium:bundleId``), which the
  server strips before its driver reads them, and the response's ``capabilities``
  carry the stripped names (recorded real responses: tests/data/appium/).
- **``mobile:`` commands** through ``POST /session/:id/execute/sync`` (and
  ``/execute/async``), ``{"script": "mobile: terminateApp", "args": [{"bundleId": …}]}``,
  mapped as appium-xcuitest-driver maps them onto WDA: terminateApp →
  ``/wda/apps/terminate`` (bool), activateApp → ``/wda/apps/activate``, launchApp →
  ``/wda/apps/launch``, queryAppState → ``/wda/apps/state`` (0..4), and
  sendMemoryWarning (the driver's real-device command; here the app's own warning).
  The script name is matched as the driver does: ``mobile:`` then the name, spaces ignored.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["merge_capabilities", "strip_prefixes", "MOBILE_COMMANDS", "parse_mobile_script", "CapabilityError"]

#: the ``mobile:`` commands answered, by their name after ``mobile:``
MOBILE_COMMANDS = ("terminateApp", "activateApp", "launchApp", "queryAppState", "sendMemoryWarning")

_MOBILE = re.compile(r"^\s*mobile\s*:\s*(?P<name>\S+)\s*$")
#: W3C standard capability names: never prefixed (everything else must be, in W3C mode)
STANDARD = frozenset({"browserName", "browserVersion", "platformName", "acceptInsecureCerts", "pageLoadStrategy",
                      "proxy", "setWindowRect", "timeouts", "strictFileInteractability", "unhandledPromptBehavior",
                      "webSocketUrl"})


class CapabilityError(ValueError):
    """The capabilities of a new-session request are malformed (W3C: ``invalid argument``)."""


def merge_capabilities(body: dict) -> dict[str, Any]:
    """The capabilities a new-session body asks for: ``alwaysMatch`` + first ``firstMatch``, or the
    legacy ``desiredCapabilities`` (what facebook-wda still sends) when there is no W3C object."""
    caps = body.get("capabilities")
    if caps is None:
        legacy = body.get("desiredCapabilities") or {}
        if not isinstance(legacy, dict):
            raise CapabilityError("'desiredCapabilities' must be an object")
        return dict(legacy)
    if not isinstance(caps, dict):
        raise CapabilityError("'capabilities' must be an object")
    always = caps.get("alwaysMatch") or {}
    first = caps.get("firstMatch") or [{}]
    if not isinstance(always, dict):
        raise CapabilityError("'capabilities.alwaysMatch' must be an object")
    if not isinstance(first, list) or not all(isinstance(f, dict) for f in first):
        raise CapabilityError("'capabilities.firstMatch' must be a list of objects")
    merged = dict(always)
    for key, value in (first[0] if first else {}).items():
        if key in merged:
            raise CapabilityError(f"'{key}' is in both alwaysMatch and firstMatch")
        merged[key] = value
    if not merged and isinstance(body.get("desiredCapabilities"), dict):
        merged = dict(body["desiredCapabilities"])
    return merged


def strip_prefixes(caps: dict[str, Any]) -> dict[str, Any]:
    """``appium:bundleId`` → ``bundleId`` (as the Appium server does); ``appium:options`` is spread."""
    out: dict[str, Any] = {}
    for key, value in caps.items():
        if key == "appium:options" and isinstance(value, dict):
            out.update(value)
            continue
        name = key.split(":", 1)[1] if ":" in key else key
        out[name] = value
    return out


def parse_mobile_script(script: Any) -> str | None:
    """``"mobile: terminateApp"`` → ``"terminateApp"``; anything that is not a mobile command → None."""
    if not isinstance(script, str):
        return None
    m = _MOBILE.match(script)
    return m.group("name") if m else None
