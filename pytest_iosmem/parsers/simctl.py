"""``xcrun simctl`` output: ``list -j``, the text ``list devices``, ``launch``, and ``spawn … launchctl list``.

``list -j`` changed over Xcode generations; all recorded ones are read:

- Xcode 10 (``list devices -j``): devices only, availability as the string
  ``"(available)"``, no device type per device;
- Xcode 12/14/16: ``devicetypes`` (with ``modelIdentifier`` since about
  Xcode 13), ``runtimes`` (with ``supportedDeviceTypes`` in 16), devices
  keyed by runtime identifier with ``isAvailable`` / ``availabilityError``;
- Xcode 26: the same plus ``lastUsage``, printed with trailing commas.

Xcode 26.0 has a bug where ``list devices -j`` prints empty device lists
while the text listing shows the devices; such a listing is refused with
what to do, and :func:`parse_text_devices` reads the text listing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ParseError

__all__ = [
    "SimRuntime",
    "SimDeviceType",
    "SimDevice",
    "SimctlList",
    "parse_list",
    "parse_text_devices",
    "parse_launch_pid",
    "parse_launchctl_pid",
    "runtime_label",
]

_TOOL = "simctl list -j"
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_RUNTIME_ID = re.compile(r"SimRuntime\.([A-Za-z]+)-([\d-]+)$")


@dataclass(frozen=True)
class SimRuntime:
    identifier: str  # com.apple.CoreSimulator.SimRuntime.iOS-17-5
    name: str  # iOS 17.5
    version: str  # 17.5
    platform: str  # iOS
    available: bool
    build: str = ""


@dataclass(frozen=True)
class SimDeviceType:
    identifier: str  # com.apple.CoreSimulator.SimDeviceType.iPhone-14-Pro
    name: str  # iPhone 14 Pro
    product_family: str = ""  # iPhone, iPad, Apple TV, ...
    model_identifier: str = ""  # iPhone15,2 (Xcode 13+ lists it)


@dataclass(frozen=True)
class SimDevice:
    udid: str
    name: str
    state: str  # Booted, Shutdown, ...
    runtime: str  # runtime identifier (the key it is listed under)
    device_type: str = ""  # device type identifier ("" when the listing does not say)
    available: bool = True
    availability_error: str = ""


@dataclass
class SimctlList:
    devices: list[SimDevice] = field(default_factory=list)
    runtimes: dict[str, SimRuntime] = field(default_factory=dict)
    device_types: dict[str, SimDeviceType] = field(default_factory=dict)

    def runtime_of(self, device: SimDevice) -> SimRuntime | None:
        if device.runtime in self.runtimes:
            return self.runtimes[device.runtime]
        for r in self.runtimes.values():  # a text listing names runtimes ("iOS 17.5")
            if r.name == device.runtime:
                return r
        return None

    def device_type_of(self, device: SimDevice) -> SimDeviceType | None:
        return self.device_types.get(device.device_type)

    def find(self, udid: str) -> SimDevice | None:
        for d in self.devices:
            if d.udid.upper() == udid.strip().upper():
                return d
        return None


def _runtime_version(key: str) -> str:
    """``com.apple.CoreSimulator.SimRuntime.iOS-17-5`` -> ``iOS 17.5``; anything else stays."""
    m = _RUNTIME_ID.search(key)
    return f"{m.group(1)} {m.group(2).replace('-', '.')}" if m else key


def runtime_label(listing: SimctlList, device: SimDevice) -> str:
    """The runtime of ``device`` as people write it: ``"iOS 17.5"``."""
    r = listing.runtime_of(device)
    return r.name if r and r.name else _runtime_version(device.runtime)


def _available(entry: dict[str, Any]) -> bool:
    value = entry.get("isAvailable")
    if value is None:  # Xcode 10: "availability" : "(available)" / "(unavailable, runtime profile not found)"
        return str(entry.get("availability", "(available)")).strip() == "(available)"
    if isinstance(value, str):  # some Xcode 9/10 builds print "YES"/"NO"
        return value.strip().upper() in ("YES", "TRUE", "1")
    return bool(value)


def parse_list(text: str) -> SimctlList:
    """Parse ``simctl list -j`` (or ``list devices -j``) of any recorded Xcode generation."""
    try:
        doc = json.loads(_TRAILING_COMMA.sub(r"\1", text))
    except json.JSONDecodeError as exc:
        raise ParseError(_TOOL, f"not JSON ({exc.msg} at line {exc.lineno})", text) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("devices"), dict):
        raise ParseError(_TOOL, "no 'devices' object", text)
    out = SimctlList()
    for r in doc.get("runtimes") or []:
        if isinstance(r, dict) and isinstance(r.get("identifier"), str):
            name = str(r.get("name", ""))
            out.runtimes[r["identifier"]] = SimRuntime(
                r["identifier"], name, str(r.get("version", "")),
                str(r.get("platform") or name.split(" ")[0]), _available(r), str(r.get("buildversion", "")),
            )
    for t in doc.get("devicetypes") or []:
        if isinstance(t, dict) and isinstance(t.get("identifier"), str):
            out.device_types[t["identifier"]] = SimDeviceType(
                t["identifier"], str(t.get("name", "")), str(t.get("productFamily", "")),
                str(t.get("modelIdentifier", "")),
            )
    for runtime, devices in doc["devices"].items():
        if not isinstance(devices, list):
            raise ParseError(_TOOL, f"devices of {runtime!r} is not a list", text)
        for d in devices:
            if not isinstance(d, dict) or not isinstance(d.get("udid"), str):
                raise ParseError(_TOOL, f"a device of {runtime!r} has no udid", text)
            out.devices.append(SimDevice(
                d["udid"], str(d.get("name", "")), str(d.get("state", "Unknown")), runtime,
                str(d.get("deviceTypeIdentifier", "")), _available(d), str(d.get("availabilityError", "")),
            ))
    if doc["devices"] and not out.devices and not out.runtimes and not out.device_types:
        raise ParseError(
            _TOOL,
            f"{len(doc['devices'])} runtime(s) but every device list is empty: this is what Xcode 26.0's "
            "'simctl list devices -j' bug prints. 'xcrun simctl list devices' (text) still shows them; "
            "update Xcode, or give the simulator by --iosmem-simulator-udid",
            text,
        )
    return out


_TEXT_SECTION = re.compile(r"^-- (?P<runtime>.+?) --\s*$")
_TEXT_DEVICE = re.compile(
    r"^\s+(?P<name>.+?) \((?P<udid>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\)"
    r" \((?P<state>[^)]+)\)(?: \((?P<extra>[^)]*)\))?\s*$"
)


def parse_text_devices(text: str) -> list[SimDevice]:
    """Devices of the text ``simctl list devices`` (runtime = the ``-- iOS 17.5 --`` section name).

    The text listing names no device type; ``available`` is False when the
    line says ``(unavailable, …)`` or sits under an ``-- Unavailable: … --`` section.
    """
    devices: list[SimDevice] = []
    runtime = ""
    for line in text.splitlines():
        if m := _TEXT_SECTION.match(line):
            runtime = m.group("runtime")
            continue
        if runtime and (m := _TEXT_DEVICE.match(line)):
            extra = m.group("extra") or ""
            unavailable = extra.startswith("unavailable") or runtime.startswith("Unavailable")
            devices.append(SimDevice(m.group("udid"), m.group("name"), m.group("state"), runtime, "",
                                     not unavailable, extra if unavailable else ""))
    return devices


_LAUNCH = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?(?P<bundle>[\w.\-]+):\s+(?P<pid>\d+)\s*$")


def parse_launch_pid(text: str, bundle_id: str) -> int:
    """``simctl launch`` prints ``<bundle id>: <pid>`` (possibly among other log lines)."""
    for line in text.splitlines():
        m = _LAUNCH.match(line)
        if m and m.group("bundle") == bundle_id:
            return int(m.group("pid"))
    raise ParseError("simctl launch", f"no '{bundle_id}: <pid>' line", text)


def parse_launchctl_pid(text: str, bundle_id: str) -> int | None:
    """The pid of ``UIKitApplication:<bundle id>[…]`` in ``launchctl list`` (None if not running).

    launchd_sim names apps ``UIKitApplication:com.apple.mobilesafari[2b0f][rb-legacy]``;
    a ``-`` pid means launchd knows the job but it does not run.
    """
    lines = text.splitlines()
    if not lines or not re.match(r"^PID\s+Status\s+Label", lines[0]):
        raise ParseError("launchctl list", "no 'PID Status Label' header", text)
    prefix = f"UIKitApplication:{bundle_id}"
    for line in lines[1:]:
        parts = line.split("\t") if "\t" in line else line.split(None, 2)
        if len(parts) < 3:
            continue
        pid, label = parts[0].strip(), parts[2].strip()
        if label == prefix or label.startswith(prefix + "["):
            return int(pid) if pid.isdigit() else None
    return None
