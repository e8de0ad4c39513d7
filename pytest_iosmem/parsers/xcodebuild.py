"""``xcodebuild test-without-building`` log of WebDriverAgentRunner: the URL WDA serves on.

WebDriverAgent logs ``ServerURLHere->http://10.0.0.5:8100<-ServerURLHere``
once its HTTP server listens (appium/WebDriverAgent's FBWebServer prints
it so tools can find the server); the last such line wins, as a restarted
runner prints a new one.
"""

from __future__ import annotations

import re

__all__ = ["parse_wda_server_url"]

_URL = re.compile(r"ServerURLHere->(?P<url>\S+?)<-ServerURLHere")


def parse_wda_server_url(text: str) -> str | None:
    """The last announced WDA URL in ``text``, or None while WDA has not announced one."""
    found = _URL.findall(text)
    return found[-1] if found else None
