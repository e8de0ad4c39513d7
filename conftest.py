"""Repository-wide test set-up.

- ``pytester`` drives inner pytest runs (the plugin is tested the way users run it);
- tests marked ``macos`` need a macOS host with Xcode and are skipped elsewhere
  with a reason, never faked into passing;
- tests marked ``device`` need pymobiledevice3 and a connected device.
"""

import sys

import pytest

pytest_plugins = ["pytester"]


def pytest_collection_modifyitems(config, items):
    not_mac = pytest.mark.skip(reason="needs a macOS host with Xcode (run on a Mac: see docs/simulator.md)")
    for item in items:
        if "macos" in item.keywords and sys.platform != "darwin":
            item.add_marker(not_mac)
