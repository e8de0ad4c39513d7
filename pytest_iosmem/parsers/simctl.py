"""``xcrun simctl`` output: ``list -j``, ``launch``, and ``spawn … launchctl list``.

``list -j`` changed over Xcode generations; all recorded ones are read:
devices keyed by runtime identifier (Xcode 11+) or by runtime name
(``"iOS 12.1"``, Xcode 10), availability as ``isAvailable`` or as the
string ``"(available)"``, runtimes with or without ``supportedDeviceTypes``,
and Xcode 26's trailing commas.  Xcode 26.0's bug where ``-j`` prints empty
device lists is recognised and reported with what to do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..errors import ParseError

__all__ = ["SimDevice", "SimRuntime", "SimctlList", "parse_list", "parse_launch_pid", "parse_launchctl_pid"]


@dataclass(frozen=True)
class SimRuntime:
    identifier: str
    name: str
    version: str
    platform: str
    available: bool


@dataclass(frozen=True)
class SimDevice:
    udid: str
    name: str
    state: str
    runtime: str  # runtime identifier (or name, for Xcode 10 listings)
    device_type: str  # device type identifier ("" when the listing does not say)
    available: bool


@dataclass
class SimctlList:
    devices: list[SimDevice] = field(default_factory=list)
    runtimes: dict[str, SimRuntime] = field(default_factory=dict)
    device_types: dict[str, dict] = field(default_factory=dict)

    def runtime_of(self, device: SimDevice) -> SimRuntime | None:
        if device.runtime in self.runtimes:
            return self.runtimes[device.runtime]
        for r in self.runtimes.values():  # Xcode 10 keys devices by runtime name
            if r.name == device.runtime:
                return r
        return None


_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _runtime_version(key: str) -> str:
    """'com.apple.CoreSimulator.SimRuntime.iOS-17-5' -> 'iOS 17.5'; 'iOS 12.1' stays."""
    m = re.search(r"SimRuntime\.([A-Za-z]+)-([\d-]+)$", key)
    if m:
        return f"{m.group(1)} {m.group(2).replace('-', '.')}"
    return key


def parse_list(text: str) -> SimctlList:
    try:
        doc = json.loads(_TRAILING_COMMA.sub(r"\1", text))
    except json.JSONDecodeError as exc:
        raise ParseError("simctl list -j", f"not JSON ({exc.msg} at line {exc.lineno})", text) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("devices"), dict):
        raise ParseError("simctl list -j", "no 'devices' object", text)
    out = SimctlList()
    for r in doc.get("runtimes") or []:
        if not isinstance(r, dict) or "identifier" not in r:
            continue
        available = r.get("isAvailable", r.get("availability", "(available)") == "(available)")
        out.runtimes[r["identifier"]] = SimRuntime(
            r["identifier"], r.get("name", ""), str(r.get("version", "")), r.get("platform", r.get("name", "").split(" ")[0]),
            bool(available),
        )
    for t in doc.get("devicetypes") or []:
        if isinstance(t, dict) and "identifier" in t:
            out.device_types[t["identifier"]] = t
    for runtime, devices in doc["devices"].items():
        if not isinstance(devices, list):
            raise ParseError("simctl list -j", f"devices of {runtime!r} is not a list", text)
        for d in devices:
            if not isinstance(d, dict) or "udid" not in d:
                raise ParseError("simctl list -j", f"a device of {runtime!r} has no udid", text)
            available = d.get("isAvailable", d.get("availability") == "(available)")
            if isinstance(available, str):
                available = available.upper() in ("YES", "TRUE")
            out.devices.append(
                SimDevice(d["udid"], d.get("name", ""), d.get("state", "Unknown"), runtime,
                          d.get("deviceTypeIdentifier", ""), bool(available))
            )
    if not out.devices and doc["devices"] and not out.runtimes:
        raise ParseError(
            "simctl list -j",
            "every runtime lists no device (the Xcode 26.0 bug where -j prints empty lists); "
            "update Xcode, or give the simulator by --iosmem-simulator-udid",
            text,
        )
    return out


def runtime_label(listing: SimctlList, device: SimDevice) -> str:
    r = listing.runtime_of(device)
    if r and r.name:
        return r.name
    return _runtime_version(device.runtime)


_LAUNCH = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?(?P<bundle>[\w.\-]+):\s+(?P<pid>\d+)\s*$")


def parse_launch_pid(text: str, bundle_id: str) -> int:
    """``simctl launch`` prints ``<bundle id>: <pid>`` (possibly inside other log lines)."""
    for line in text.splitlines():
        m = _LAUNCH.match(line)
        if m and m.group("bundle") == bundle_id:
            return int(m.group("pid"))
    raise ParseError("simctl launch", f"no '{bundle_id}: <pid>' line", text)


def parse_launchctl_pid(text: str, bundle_id: str) -> int | None:
    """The pid of ``UIKitApplication:<bundle id>[…]`` in ``launchctl list`` (None if not running)."""
    lines = text.splitlines()
    if not lines or not re.match(r"^PID\s+Status\s+Label", lines[0]):
        raise ParseError("launchctl list", "no 'PID Status Label' header", text)
    for line in lines[1:]:
        parts = line.split("\t") if "\t" in line else line.split(None, 2)
        if len(parts) < 3:
            continue
        pid, _status, label = parts[0].strip(), parts[1].strip(), parts[2].strip()
        if label.startswith(f"UIKitApplication:{bundle_id}[") or label == f"UIKitApplication:{bundle_id}":
            return int(pid) if pid.isdigit() else None
    return None
