"""Which stored profile a test's baseline comes from when the machine changed.

Pure: profiles in, a choice and the words that explain it out; the files are
read by :class:`pytest_iosmem.baseline.BaselineStore`.

A profile is (target kind, model, OS).  When no baseline is stored under the
current profile, the **nearest** stored one is used, by this rule:

1. the target kind and the model must be the same (a simulator baseline is
   never used on a device, an iPhone 15's never on an iPhone 12, an x86_64
   host's never on arm64);
2. the OS family must be the same (iOS / iPadOS / linux / macos), and for
   the local target the app's runtime implementation too (cpython / pypy;
   a command's baselines are never used for the reference app's);
3. among those, the nearest OS version wins (major first, then minor), then
   the nearest runtime version (local target: "same OS, other Python");
4. when two are equally near, the **older** one wins (the one the team used
   until the machine changed), and the choice says which other one was as near.

Nothing is widened: the limits are the test's own; the result, the terminal
summary, the reports and a growth failure name the profile the baseline came
from.  A user pins the rule with ``--iosmem-baseline-profile``: ``exact`` (only
the current profile), ``nearest`` (the default) or a profile key (always that one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from .values import Profile

__all__ = ["OsParts", "parse_os", "distance", "choose", "RULES"]

RULES = ("exact", "nearest")


@dataclass(frozen=True)
class OsParts:
    """An OS string taken apart: ``linux-cpython3.11`` -> linux, (), cpython, (3, 11)."""

    family: str
    version: tuple[int, ...]
    runtime: str
    runtime_version: tuple[int, ...]


_NUM = re.compile(r"^\d+(?:\.\d+)*$")
_RUNTIME = re.compile(r"^([a-z]+)(\d+(?:\.\d+)*)$")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2])


def parse_os(os_text: str) -> OsParts:
    """Family, major.minor version and runtime of a profile's OS (or of its key slug).

    ``iOS 17.2.1`` and ``ios_17.2`` both give (ios, (17, 2)); the patch release
    never counts.  ``macos-14-cpython3.12`` gives (macos, (14,), cpython, (3, 12)).
    """
    tokens = [t for t in re.split(r"[-\s_]+", os_text.strip().lower()) if t]
    if not tokens:
        return OsParts("", (), "", ())
    family, version, runtime, runtime_version = tokens[0], (), "", ()
    m = re.match(r"^([a-z]+)(\d+(?:\.\d+)*)$", family)
    if m:  # "ios17.2" written without a space
        family, version = m.group(1), _version(m.group(2))
    for token in tokens[1:]:
        if _NUM.match(token) and not version:
            version = _version(token)
            continue
        rm = _RUNTIME.match(token)
        if rm and not runtime:
            runtime, runtime_version = rm.group(1), _version(rm.group(2))
    return OsParts(family, version, runtime, runtime_version)


def _gap(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, int]:
    a2 = (a + (0, 0))[:2]
    b2 = (b + (0, 0))[:2]
    return abs(a2[0] - b2[0]), abs(a2[1] - b2[1])


def distance(current: Profile, candidate: Profile) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """How far ``candidate`` is from ``current``: (OS gap, runtime gap), or None if never usable."""
    if current.kind != candidate.kind or current.model.lower() != candidate.model.lower():
        return None
    a, b = parse_os(current.os), parse_os(candidate.os)
    if a.family != b.family or a.runtime != b.runtime:
        return None
    return _gap(a.version, b.version), _gap(a.runtime_version, b.runtime_version)


def _explain(current: Profile, chosen: Profile) -> str:
    a, b = parse_os(current.os), parse_os(chosen.os)
    parts = []
    if a.version != b.version:
        v = lambda t: ".".join(map(str, t)) or "?"  # noqa: E731
        parts.append(f"other {a.family} version {v(b.version)}, this run {v(a.version)}")
    if a.runtime_version != b.runtime_version:
        v = lambda t: a.runtime + ".".join(map(str, t))  # noqa: E731
        name = "Python" if a.runtime == "cpython" else a.runtime
        parts.append(f"other {name} {v(b.runtime_version)}, this run {v(a.runtime_version)}")
    if not parts:
        parts.append(f"same {a.family} major.minor, stored as {chosen.os}")
    return "same target and model, " + "; ".join(parts)


def choose(current: Profile, candidates: Iterable[tuple[str, Profile]]) -> tuple[str, str] | None:
    """The nearest candidate ``(key, reason)`` by the rule above, or None when none may be used.

    ``candidates`` are ``(stored key, profile record)`` pairs that hold a
    baseline for the test; the current profile's own key is never among them
    (an exact match is not a choice).
    """
    scored = []
    for key, profile in candidates:
        d = distance(current, profile)
        if d is None:
            continue
        parts = parse_os(profile.os)
        # nearest first; on a tie the older OS, then the older runtime, then the key (stable)
        scored.append(((d, parts.version, parts.runtime_version, key), key, profile))
    if not scored:
        return None
    scored.sort(key=lambda s: s[0])
    best_score, key, profile = scored[0]
    reason = _explain(current, profile)
    ties: Sequence[str] = [k for s, k, _ in scored[1:] if s[0] == best_score[0]]
    if ties:
        reason += f"; equally near: {', '.join(ties)} (the older one is used)"
    return key, reason
