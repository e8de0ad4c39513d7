"""The contract every target (local, simulator, device) fulfils.

Targets are the only code that knows a platform.  Everything above them —
sampler, analysis, baselines, reports — speaks in the types defined here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Capability",
    "Profile",
    "JetsamLimit",
    "Termination",
    "AppSpec",
    "App",
    "Reading",
    "ClassStat",
    "TargetEvent",
    "Target",
    "FailureArtifacts",
]


class Capability:
    """Names of optional things a target can do (``Target.capabilities``)."""

    MEMORY_WARNING = "memory_warning"  # memory_warning() really reaches the app
    LIFETIME_PEAK = "lifetime_peak"  # Reading.peak is the OS's own lifetime max
    JETSAM_LIMIT = "jetsam_limit"  # jetsam_limit() may return a number
    CLASS_HISTOGRAM = "class_histogram"  # class_histogram() answers "who allocated"
    WDA = "wda"  # the app (or WDA beside it) speaks WebDriverAgent


@dataclass(frozen=True)
class Profile:
    """What baselines are keyed by: target kind, model, OS version.

    ``model`` is the hardware identifier (``iPhone15,2``, simulator device
    type identifier, or the host machine for ``local``); ``os`` the OS name and
    version.  ``name`` is for people only and is not part of the key.
    """

    kind: str
    model: str
    os: str
    name: str = ""

    @property
    def key(self) -> str:
        """A stable, filesystem-safe slug, e.g. ``local-linux-6.1-x86_64``."""
        raw = f"{self.kind}-{self.os}-{self.model}"
        return re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("_").lower()

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "model": self.model, "os": self.os, "name": self.name, "key": self.key}


@dataclass(frozen=True)
class JetsamLimit:
    """A per-process memory limit and where the number comes from."""

    bytes: int
    source: str


@dataclass(frozen=True)
class Termination:
    """How the app died. ``reason`` is one of exit, signal, jetsam, crash, unknown."""

    reason: str
    detail: str
    exit_code: int | None = None
    signal: int | None = None
    last_footprint: int | None = None

    def describe(self) -> str:
        return self.detail or self.reason


@dataclass
class AppSpec:
    """What to launch: a command line (local) or a bundle id (simulator/device)."""

    command: list[str] | None = None
    bundle_id: str | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    name: str = ""


@dataclass
class App:
    """A running app the target launched or attached to.

    ``handle`` is private to the target that made it (a Popen, a DVT channel,
    ...); nothing outside that target looks inside.
    """

    pid: int
    name: str
    target_kind: str
    wda_url: str | None = None
    bundle_id: str | None = None
    launched: bool = True
    handle: Any = None


@dataclass(frozen=True)
class Reading:
    """One footprint read. ``peak`` is the OS's lifetime maximum when it has one.

    ``sequence`` is for targets whose read returns the latest value of a
    stream that updates at its own rate (a device's sysmontap, every 0.5 s):
    it numbers the stream's samples, and a read with the same number as the
    previous one is the same measurement again, not a new one (the sampler
    does not record it, and settling does not count it).  None: every read is
    a new measurement.  Such a target also says its rate as the attribute
    ``sample_interval`` (seconds), and settling reads at that rate.
    """

    footprint: int
    peak: int | None = None
    sequence: int | None = None


@dataclass(frozen=True)
class ClassStat:
    """Live objects of one class (or allocation type): count and bytes."""

    name: str
    count: int
    bytes: int


@dataclass(frozen=True)
class TargetEvent:
    """Something the target learnt on its own (a device memory notification, a kill)."""

    kind: str
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Target(Protocol):
    """Where the app runs. Implementations: local, simulator, device."""

    kind: str
    capabilities: frozenset[str]

    def profile(self) -> Profile:
        """The baseline key of this target (kind, model, OS)."""
        ...

    def jetsam_limit(self) -> JetsamLimit | None:
        """The per-process memory limit the app runs under, or None if unknown."""
        ...

    def launch(self, spec: AppSpec) -> App:
        """Start the app and return it running (pid known)."""
        ...

    def attach(self, pid: int) -> App:
        """Take an already running app by pid; it is not terminated at the end."""
        ...

    def read(self, app: App) -> Reading:
        """Footprint now. Raises ReadFailed when the read fails (app gone, tool error)."""
        ...

    def poll_termination(self, app: App) -> Termination | None:
        """None while the app runs; how it ended once it has."""
        ...

    def memory_warning(self, app: App) -> None:
        """Send a memory warning, or raise NotSupported saying why not."""
        ...

    def terminate(self, app: App) -> Termination | None:
        """Stop the app (bounded in time) if we launched it."""
        ...

    def wda_url(self, app: App, timeout: float) -> str:
        """The WebDriverAgent URL that drives this app (waits up to ``timeout``)."""
        ...

    def drain_events(self, app: App) -> list[TargetEvent]:
        """Events the target observed since the last call (may be empty)."""
        ...

    def class_histogram(self, app: App) -> list[ClassStat]:
        """Live objects by class, or raise NotSupported."""
        ...

    def close(self) -> None:
        """Release whatever the target holds (tunnels, clones, helper processes)."""
        ...


class FailureArtifacts(Protocol):
    """Optional: a target that can save evidence when a memory check fails.

    ``failure_artifacts(app, label)`` is called by the plugin right after a
    gate failed, while the app still runs, and returns the paths it saved (a
    ``.memgraph`` on a device or simulator); they are named in the failure
    message and listed in the reports.  Targets without it are simply skipped.
    """

    def failure_artifacts(self, app: App, label: str) -> list[str]: ...
