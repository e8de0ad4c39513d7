"""Connecting facebook-wda to the app's WebDriverAgent, with bounded waits, bound to the app under test.

facebook-wda is imported here, lazily: a pytest run that never asks for the
``wda_client`` fixture never pays for it.

Binding: a WebDriverAgent session without a bundle id acts on whatever app is
in front (WDA's ``activeApplication``), which may be WDA's own runner or
SpringBoard.  :func:`bind_session` creates the session with the app's bundle
id instead, with the capabilities WebDriverAgent reads in
``FBSessionCommands.m`` / ``FBSession.m`` (appium/WebDriverAgent):

- ``forceAppLaunch: false``: an app that already runs is not relaunched (the
  default, true, would relaunch it and the pid being measured would be gone);
  one in the background is activated;
- ``shouldTerminateApp: false``: closing the session does not kill the app (the
  target stops it, and a death during the test is the gate's to report);
- ``shouldWaitForQuiescence: false``: what facebook-wda's ``session(bundle_id)`` sends too.

facebook-wda's own ``Client.session(bundle_id)`` sends neither of the first two,
so the request is made here and the session id handed to ``wda.Client``.

Bounded and cancellable: facebook-wda waits 180 s for every HTTP answer by
default (``wda.HTTP_TIMEOUT``; a frozen app cost six minutes per test), so
:func:`bounded` lowers that to the plugin's ``--iosmem-wda-timeout``; and a
callback before and after every request raises a pending cancellation
(:func:`pytest_iosmem.shutdown.checkpoint`), so facebook-wda's bare
``except:`` in ``Session.tap`` cannot swallow Ctrl-C or SIGTERM for good.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from .errors import TargetError

__all__ = ["wait_until_ready", "connect", "bind_session", "session_capabilities", "bounded"]


def _checkpoint() -> None:
    from .shutdown import checkpoint

    checkpoint()


def bounded(client, timeout: float):
    """``client`` with every HTTP request bounded by ``timeout`` and a cancellation checkpoint around it."""
    import wda

    # facebook-wda reads this module global for every request that names no timeout of its own
    wda.HTTP_TIMEOUT = min(float(getattr(wda, "HTTP_TIMEOUT", timeout) or timeout), max(1.0, float(timeout)))
    for event in (wda.Callback.HTTP_REQUEST_BEFORE, wda.Callback.HTTP_REQUEST_AFTER):
        if _checkpoint not in client.callbacks[event]:
            client.register_callback(event, _checkpoint, try_first=True)
    return client


def wait_until_ready(url: str, timeout: float, poll: float = 0.1) -> dict:
    """Poll ``GET {url}/status`` until WDA says it is ready, or raise naming the URL."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/status", timeout=min(5.0, max(0.5, timeout))) as resp:
                body = json.load(resp)
            value = body.get("value") or {}
            if value.get("ready", True) is not False:
                return body
            last = f"answered but not ready: {value.get('message') or value}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        except ValueError:
            last = "answered with something that is not JSON"
        if time.monotonic() >= deadline:
            raise TargetError(
                f"WebDriverAgent at {url} is not reachable after {timeout:g}s ({last}). "
                "Is WDA running for this app? Set --iosmem-wda-url or --iosmem-wda-timeout."
            )
        time.sleep(poll)


def connect(url: str, timeout: float):
    """A ready ``wda.Client`` for ``url``."""
    wait_until_ready(url, timeout)
    import wda  # heavy-ish: requests, retry, PIL probing; only when a test wants UI

    return bounded(wda.Client(url), timeout)


def session_capabilities(bundle_id: str) -> dict:
    """The ``POST /session`` body that binds a session to the running app ``bundle_id`` (see the module doc)."""
    always = {"bundleId": bundle_id, "forceAppLaunch": False, "shouldTerminateApp": False,
              "shouldWaitForQuiescence": False}
    return {"capabilities": {"alwaysMatch": always}, "desiredCapabilities": always}


def bind_session(url: str, bundle_id: str | None, timeout: float):
    """A facebook-wda client whose session acts on the app ``bundle_id`` (running, not relaunched).

    No bundle id (an app attached by pid): facebook-wda's plain ``session()``, on the app in front.
    """
    import wda

    if not bundle_id:
        return bounded(wda.Client(url), timeout).session()
    body = json.dumps(session_capabilities(bundle_id)).encode()
    request = urllib.request.Request(url.rstrip("/") + "/session", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=max(5.0, timeout)) as resp:
            answer = json.load(resp)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        raise TargetError(f"WebDriverAgent at {url} refused a session on {bundle_id} (HTTP {exc.code}): {detail}") \
            from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TargetError(f"WebDriverAgent at {url}: no session on {bundle_id}: {getattr(exc, 'reason', exc)}") from None
    value = answer.get("value") if isinstance(answer.get("value"), dict) else {}
    session_id = answer.get("sessionId") or value.get("sessionId")
    if not session_id:
        raise TargetError(f"WebDriverAgent at {url} answered POST /session for {bundle_id} without a sessionId: "
                          f"{json.dumps(answer)[:300]}")
    return bounded(wda.Client(url, _session_id=session_id), timeout)
