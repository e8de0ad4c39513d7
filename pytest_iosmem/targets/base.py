"""The contract every target (local, simulator, device) fulfils.

Targets are the only code that knows a platform.  Everything above them —
sampler, the verdict package, baselines, reports — speaks in the types defined here
(and in :mod:`pytest_iosmem.values`, the value types shared with parsers and storage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..values import ClassStat, JetsamLimit, Profile

__all__ = [
    "Termination",
    "AppSpec",
    "App",
    "Reading",
    "TargetEvent",
    "Target",
    "FailureArtifacts",
]


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
    #: working directory of a local app (None: pytest's); A/B launches both builds from one neutral directory
    cwd: str | None = None


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
class TargetEvent:
    """Something the target learnt on its own (a device memory notification, a kill)."""

    kind: str
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Target(Protocol):
    """Where the app runs. Implementations: local, simulator, device."""

    kind: str

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
