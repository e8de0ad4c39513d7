"""Connecting facebook-wda to the app's WebDriverAgent, with bounded waits.

facebook-wda is imported here, lazily: a pytest run that never asks for the
``wda_client`` fixture never pays for it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from .errors import TargetError

__all__ = ["wait_until_ready", "connect"]


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

    return wda.Client(url)
