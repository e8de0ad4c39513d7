"""Limits a test is gated by, from the marker, the ini file and the command line.

``@pytest.mark.iosmem(max_peak="300MB", max_growth="8%", leak_per_iteration="128KB",
reclaim_after_warning="10MB", jetsam_headroom="50%", objects_watch=["*ViewController"])``.  Marker values win
over command-line/ini defaults; ``None`` switches a check off for one test.
A bad value is a usage error that names the test, the key and the value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Mapping

from ..errors import UsageError
from .objects import DEFAULT_WATCH, ObjectRules
from ..units import Tolerance, UnitError, format_size, parse_percent, parse_size, parse_tolerance

__all__ = ["Policy", "POLICY_KEYS", "INCONCLUSIVE_CHOICES", "build_policy"]


@dataclass(frozen=True)
class Policy:
    """The limits of one test. ``None`` means "not checked"."""

    max_peak: int | None = None
    max_growth: Tolerance | None = Tolerance(fraction=0.10)
    leak_per_iteration: int | None = 128 * 1000
    reclaim_after_warning: int | None = None
    jetsam_headroom: float | None = None
    #: growth below this many bytes is never a finding: it keeps small apps from flaking
    noise_floor: int = 1_000_000
    #: significance level of the leak trend test
    trend_alpha: float = 0.05
    #: most measured iterations ``iosmem.iterations()`` may run while the leak verdict is undecided
    max_iterations: int = 20
    #: what an undecided leak verdict at that bound does to the test: "warn" (passes, marked) or "fail"
    inconclusive: str = "warn"
    #: object check: a class gaining at least this many instances in every measured iteration leaks
    objects_per_iteration: int | None = 1
    #: object check: shell patterns of the classes judged (empty: every class)
    objects_watch: tuple[str, ...] = DEFAULT_WATCH
    #: object check: shell patterns of classes never judged (wins over objects_watch)
    objects_ignore: tuple[str, ...] = ()

    @property
    def object_rules(self) -> ObjectRules | None:
        """The object check's rules, or None when this test switched it off."""
        if self.objects_per_iteration is None:
            return None
        return ObjectRules(self.objects_per_iteration, self.objects_watch, self.objects_ignore)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["max_growth"] = None if self.max_growth is None else asdict(self.max_growth)
        d["objects_watch"], d["objects_ignore"] = list(self.objects_watch), list(self.objects_ignore)  # JSON arrays
        return d

    def describe(self) -> str:
        parts = []
        if self.max_peak is not None:
            parts.append(f"max_peak={format_size(self.max_peak)}")
        if self.max_growth is not None:
            parts.append(f"max_growth={self.max_growth.describe()}")
        if self.leak_per_iteration is not None:
            parts.append(f"leak_per_iteration={format_size(self.leak_per_iteration)}")
        if self.reclaim_after_warning is not None:
            parts.append(f"reclaim_after_warning={format_size(self.reclaim_after_warning)}")
        if self.jetsam_headroom is not None:
            parts.append(f"jetsam_headroom={self.jetsam_headroom * 100:g}%")
        if self.objects_per_iteration is not None and self.objects_per_iteration != 1:
            parts.append(f"objects_per_iteration={self.objects_per_iteration}")
        return ", ".join(parts)


#: what an inconclusive leak verdict does to the test
INCONCLUSIVE_CHOICES = ("warn", "fail")


def _parse_count(value: Any) -> int:
    try:
        n = int(str(value).strip())
    except ValueError:
        raise UnitError("write a whole number, e.g. 1") from None
    if n < 1:
        raise UnitError("must be at least 1")
    return n


def _parse_choice(value: Any, choices: tuple[str, ...]) -> str:
    v = str(value).strip().lower()
    if v not in choices:
        raise UnitError(f"choose one of {', '.join(choices)}")
    return v


def _parse_patterns(value: Any) -> tuple[str, ...]:
    """Shell patterns: a list (marker, ini lines, repeated options) or one string split at commas/spaces."""
    items = [value] if isinstance(value, str) else list(value)
    patterns: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise UnitError(f"{item!r} is not a class-name pattern (write strings such as '*ViewController')")
        patterns.extend(p for p in item.replace(",", " ").split() if p)
    return tuple(patterns)


_PARSERS = {
    "max_peak": parse_size,
    "max_growth": parse_tolerance,
    "leak_per_iteration": parse_size,
    "reclaim_after_warning": parse_size,
    "jetsam_headroom": parse_percent,
    "noise_floor": parse_size,
    "trend_alpha": parse_percent,
    "max_iterations": _parse_count,
    "inconclusive": lambda v: _parse_choice(v, INCONCLUSIVE_CHOICES),
    "objects_per_iteration": _parse_count,
    "objects_watch": _parse_patterns,
    "objects_ignore": _parse_patterns,
}
POLICY_KEYS = tuple(f.name for f in fields(Policy))
_PATTERN_KEYS = ("objects_watch", "objects_ignore")
_NULLABLE = {
    "max_peak", "max_growth", "leak_per_iteration", "reclaim_after_warning", "jetsam_headroom", "objects_per_iteration",
}


def _parse(key: str, value: Any, where: str) -> Any:
    pattern_list = key in _PATTERN_KEYS and value is not None and not isinstance(value, str)
    # (a list of patterns is a value even when empty — watch: every class — never "off")
    if not pattern_list and (value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "off"))):
        if key not in _NULLABLE:
            raise UsageError(f"{where}: {key}={value!r} cannot be switched off")
        return None
    try:
        parsed = _PARSERS[key](value)
    except UnitError as exc:
        raise UsageError(f"{where}: {key}={value!r}: {exc}") from None
    if key == "jetsam_headroom" and not 0 <= parsed < 1:
        raise UsageError(f"{where}: jetsam_headroom={value!r} must be a fraction of the limit below 100%")
    if key == "leak_per_iteration" and parsed <= 0:
        # a flat app is not "slower than 0 per iteration": with 0 the check could never end clear
        raise UsageError(
            f"{where}: leak_per_iteration={value!r} must be above 0 (a flat app can never be judged clear "
            "against 0 per iteration); give a small size such as 16KB, or none to switch the check off"
        )
    if key == "trend_alpha" and not 0 < parsed < 0.5:
        raise UsageError(f"{where}: trend_alpha={value!r} must be between 0 and 50%")
    return parsed


def build_policy(
    defaults: Mapping[str, Any],
    marker_kwargs: Mapping[str, Any],
    where: str,
    base: Policy = Policy(),
) -> Policy:
    """Defaults (ini/command line, as strings) overlaid by the marker's keyword arguments.

    ``where`` names the test (its node id) or the option source in errors.
    """
    unknown = sorted(set(marker_kwargs) - set(POLICY_KEYS))
    if unknown:
        raise UsageError(
            f"{where}: unknown iosmem marker key(s) {', '.join(unknown)}; valid keys: {', '.join(POLICY_KEYS)}"
        )
    values: dict[str, Any] = {}
    for key, value in defaults.items():
        if value is not None:
            values[key] = _parse(key, value, f"{where} (default from ini/command line)")
    for key, value in marker_kwargs.items():
        values[key] = _parse(key, value, where)
    return replace(base, **values)
