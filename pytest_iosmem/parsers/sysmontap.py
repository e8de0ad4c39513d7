"""Instruments' sysmontap process rows, decoded into per-pid attribute dicts.

sysmontap (``com.apple.instruments.server.services.sysmontap``) pushes
messages; those that carry process data have a ``Processes`` map of
``pid -> [values]``, the values in the order of the ``procAttrs`` the client
asked for (tidevice and pymobiledevice3 both rely on that order).  Keys are
ints after NSKeyedArchiver decoding, strings after a JSON round trip; both
are accepted.  pymobiledevice3's CLI prints already decoded rows (dicts), so
those are accepted too.

Units: ``physFootprint`` is bytes (pymobiledevice3 lists it among its byte
fields; tidevice divides it by 1024² to print MiB).  A value the device could
not read arrives as NSNull (``None``) or, in JSON, as nothing: that is "no
reading", never zero.

Garbage raises :class:`~pytest_iosmem.errors.ParseError` naming sysmontap.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from ..errors import ParseError

__all__ = ["TOOL", "FOOTPRINT", "decode_processes", "process_rows", "footprint_bytes"]

TOOL = "sysmontap"
FOOTPRINT = "physFootprint"


def _pid(key: Any) -> int:
    if isinstance(key, bool):
        raise ParseError(TOOL, f"process key {key!r} is not a pid")
    try:
        return int(key)
    except (TypeError, ValueError):
        raise ParseError(TOOL, f"process key {key!r} is not a pid") from None


def decode_processes(attributes: Sequence[str], processes: Any) -> dict[int, dict[str, Any]]:
    """``{pid: {attribute: value}}`` from a ``Processes`` map.

    A row is either a list of values in ``attributes`` order (raw sysmontap)
    or a dict (already decoded).  A list whose length differs from the
    attribute list is refused: silently zipping would put the wrong number
    under ``physFootprint``.
    """
    if not isinstance(processes, Mapping):
        raise ParseError(TOOL, f"'Processes' is a {type(processes).__name__}, not a map of pid -> row")
    out: dict[int, dict[str, Any]] = {}
    for key, row in processes.items():
        pid = _pid(key)
        if isinstance(row, Mapping):
            out[pid] = dict(row)
        elif isinstance(row, (list, tuple)):
            if len(row) != len(attributes):
                raise ParseError(
                    TOOL, f"the row of pid {pid} has {len(row)} values for {len(attributes)} requested attributes"
                )
            out[pid] = dict(zip(attributes, row))
        else:
            raise ParseError(TOOL, f"the row of pid {pid} is a {type(row).__name__}, not a list or a map")
    return out


def process_rows(attributes: Sequence[str], message: Any) -> dict[int, dict[str, Any]] | None:
    """The process rows of one sysmontap message, or None when it carries none.

    sysmontap interleaves system-only messages (CPU load, ``Type: 33``) with
    process samples; those, and the first acknowledgement, are not samples
    of any pid and must not count as "our pid is missing".
    """
    if not isinstance(message, Mapping):
        raise ParseError(TOOL, f"a message is a {type(message).__name__}, not a map")
    if "Processes" not in message:
        return None
    return decode_processes(attributes, message["Processes"])


def footprint_bytes(row: Mapping[str, Any]) -> int | None:
    """``physFootprint`` of one decoded row in bytes, or None when the device gave no number."""
    value = row.get(FOOTPRINT)
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, (int, float)):
        raise ParseError(TOOL, f"{FOOTPRINT} is {value!r}, not a number of bytes")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value < 0:
        raise ParseError(TOOL, f"{FOOTPRINT} is negative ({value!r})")
    return int(value)
