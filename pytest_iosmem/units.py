"""Sizes and percentages as people write them in markers and ini files.

``"150MB"``, ``"512KB"``, ``"1.5GiB"``, ``"8%"``.  Decimal units (KB, MB, GB)
are powers of 1000 and binary units (KiB, MiB, GiB) powers of 1024, as Xcode
and Instruments print them; a bare number is bytes.  Parsing errors raise
:class:`UnitError`, which callers wrap with the name of the test/option.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["UnitError", "Tolerance", "parse_size", "parse_percent", "parse_tolerance", "format_size"]


class UnitError(ValueError):
    """A size or percentage that cannot be understood."""


_FACTORS = {
    "": 1,
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
    "TIB": 1024**4,
    "K": 1024,
    "M": 1024**2,
    "G": 1024**3,
}
_SIZE_RE = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)\s*$")


def parse_size(value: str | int | float) -> int:
    """Return a size in bytes. Accepts ints, floats and strings with units."""
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a size")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise UnitError(f"{value!r} is not a size (must be a non-negative number of bytes)")
        return int(round(value))
    if not isinstance(value, str):
        raise UnitError(f"{value!r} is not a size")
    m = _SIZE_RE.match(value)
    if not m:
        raise UnitError(f"{value!r} is not a size; write it like '150MB', '512KB' or '1.5GiB'")
    number, unit = m.groups()
    factor = _FACTORS.get(unit.upper())
    if factor is None:
        raise UnitError(f"{value!r} has an unknown unit {unit!r}; use B, KB, MB, GB, KiB, MiB or GiB")
    amount = float(number) * factor
    if not math.isfinite(amount) or amount < 0:
        raise UnitError(f"{value!r} is not a size (must be non-negative)")
    return int(round(amount))


def parse_percent(value: str | int | float) -> float:
    """Return a fraction (``"8%"`` -> 0.08). A bare number <= 1 is taken as a fraction."""
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a percentage")
    if isinstance(value, (int, float)):
        fraction = float(value)
    elif isinstance(value, str) and value.strip().endswith("%"):
        try:
            fraction = float(value.strip()[:-1]) / 100.0
        except ValueError:
            raise UnitError(f"{value!r} is not a percentage; write it like '8%'") from None
    elif isinstance(value, str):
        try:
            fraction = float(value)
        except ValueError:
            raise UnitError(f"{value!r} is not a percentage; write it like '8%'") from None
    else:
        raise UnitError(f"{value!r} is not a percentage")
    if not math.isfinite(fraction) or fraction < 0:
        raise UnitError(f"{value!r} is not a percentage (must be non-negative)")
    return fraction


@dataclass(frozen=True)
class Tolerance:
    """Allowed growth: a fraction of the reference, a number of bytes, or both.

    With both, the larger allowance wins ("8% or 5MB, whichever is more"),
    which is what keeps small apps from failing on a few pages of noise.
    """

    fraction: float | None = None
    bytes: int | None = None

    def allowance(self, reference: int) -> int:
        parts = [0]
        if self.fraction is not None:
            parts.append(int(self.fraction * reference))
        if self.bytes is not None:
            parts.append(self.bytes)
        return max(parts)

    def describe(self) -> str:
        parts = []
        if self.fraction is not None:
            parts.append(f"{self.fraction * 100:g}%")
        if self.bytes is not None:
            parts.append(format_size(self.bytes))
        return " or ".join(parts) if parts else "0"


def parse_tolerance(value: str | int | float | Tolerance) -> Tolerance:
    """``"8%"``, ``"5MB"``, ``"8%,5MB"`` or ``"8% or 5MB"``."""
    if isinstance(value, Tolerance):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Tolerance(bytes=parse_size(value))
    if not isinstance(value, str) or not value.strip():
        raise UnitError(f"{value!r} is not a growth tolerance; write it like '8%', '5MB' or '8%,5MB'")
    fraction: float | None = None
    size: int | None = None
    for part in re.split(r"\s*(?:,|\bor\b|\|)\s*", value.strip()):
        if not part:
            continue
        if part.endswith("%"):
            if fraction is not None:
                raise UnitError(f"{value!r} gives two percentages")
            fraction = parse_percent(part)
        else:
            if size is not None:
                raise UnitError(f"{value!r} gives two sizes")
            size = parse_size(part)
    return Tolerance(fraction=fraction, bytes=size)


def format_size(n: float | int | None, signed: bool = False) -> str:
    """Human size in decimal units, like Xcode's memory gauge (``"212 KB"``)."""
    if n is None:
        return "-"
    sign = ""
    if signed:
        sign = "+" if n >= 0 else "-"
    elif n < 0:
        sign = "-"
    a = abs(float(n))
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if a >= factor:
            v = a / factor
            text = f"{v:.1f}" if v < 100 else f"{v:.0f}"
            return f"{sign}{text} {unit}"
    return f"{sign}{a:.0f} B"
