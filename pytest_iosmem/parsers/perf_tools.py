"""Memory lines of the perf tools iOS teams already run (tidevice, gidevice), in bytes.

Why: a team moving to pytest-iosmem compares our device footprint with the
numbers their old dashboards showed.  The tools disagree on units and on
*what* they measure, so each sample says both:

- ``tidevice perf`` prints ``memory {'pid': 293, 'timestamp': <ms>, 'value': 66.5}``;
  the value is sysmontap ``physFootprint`` divided by 1024² (MiB, although
  tidevice calls it MB), the timestamp milliseconds.
- ``gidevice`` process monitor prints JSON lines ``{"type": "process", "pid": ..,
  "proc_perf": {<sysmontap attributes the user asked for>}, "timestamp": <s>}``;
  the attributes are raw sysmontap bytes, and often ``memAnon`` rather than
  ``physFootprint`` (anonymous memory is *not* the footprint: it is kept
  apart so nobody compares the two by accident).

Other line kinds (cpu, fps, network, screenshot, sys_*) are skipped.  Text
with no recognisable line raises :class:`ParseError` naming the tool.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from ..errors import ParseError

__all__ = ["PerfSample", "parse_tidevice_perf", "parse_gidevice_perf"]

_MIB = 1024 * 1024
_TIDEVICE_LINE = re.compile(r"^(?P<kind>[a-z_]+) (?P<body>\{.*\})\s*$")


@dataclass(frozen=True)
class PerfSample:
    """One memory reading of one pid from a perf tool."""

    tool: str
    pid: int
    t: float  # seconds since the epoch
    bytes: int
    attribute: str  # which sysmontap attribute it is: physFootprint, memAnon, ...


def parse_tidevice_perf(text: str) -> list[PerfSample]:
    """Memory samples from ``tidevice perf`` output (other kinds are skipped)."""
    samples: list[PerfSample] = []
    recognised = 0
    for line in text.splitlines():
        m = _TIDEVICE_LINE.match(line.strip())
        if not m:
            continue
        recognised += 1
        if m.group("kind") != "memory":
            continue  # cpu/fps/network; screenshot bodies are not even literals
        try:
            body = ast.literal_eval(m.group("body"))
            value = float(body["value"])
            sample = PerfSample("tidevice", int(body["pid"]), float(body["timestamp"]) / 1000.0,
                                int(round(value * _MIB)), "physFootprint")
        except (ValueError, SyntaxError, KeyError, TypeError) as exc:
            raise ParseError("tidevice perf", f"bad memory line {line.strip()[:80]!r} ({exc})") from None
        samples.append(sample)
    if not recognised:
        raise ParseError("tidevice perf", "no '<kind> {...}' line", text)
    return samples


def parse_gidevice_perf(text: str) -> list[PerfSample]:
    """Per-process memory samples from gidevice's perf JSON lines.

    A ``process`` record yields ``physFootprint`` when it was requested,
    else ``memAnon`` (labelled as such), else nothing.
    """
    samples: list[PerfSample] = []
    records = 0
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue  # gidevice's own log lines ("get pid ... by bundleId ...")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError("gidevice perf", f"a JSON line does not parse ({exc.msg})", line) from None
        if not isinstance(record, dict):
            raise ParseError("gidevice perf", "a JSON line is not an object", line)
        records += 1
        if record.get("type") != "process":
            continue
        perf = record.get("proc_perf") or {}
        for attribute in ("physFootprint", "memAnon"):
            value = perf.get(attribute)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                pid = record.get("pid", perf.get("pid"))
                if not isinstance(pid, int):
                    raise ParseError("gidevice perf", "a process record has no pid", line)
                samples.append(PerfSample("gidevice", pid, float(record.get("timestamp", 0)), int(value), attribute))
                break
    if not records:
        raise ParseError("gidevice perf", "no JSON record", text)
    return samples
