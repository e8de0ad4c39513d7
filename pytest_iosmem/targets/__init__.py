"""Target registry: which module implements which target, and their options.

Each target module exposes::

    OPTIONS: tuple[TargetOption, ...]     # its options, which also stand in
                                          # targets/catalog.py (see below)
    def create(ctx: TargetContext) -> Target

The plugin registers the options of every target in every pytest run, so it
reads them from :mod:`.catalog`, a data-only module: importing the target
modules themselves (subprocess wrappers, HTTP clients) is left to the run
that chooses that target.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from .base import Target

__all__ = ["TargetOption", "TargetContext", "TARGET_MODULES", "target_options", "create_target"]

TARGET_MODULES: dict[str, str] = {
    "local": "pytest_iosmem.targets.local",
    "simulator": "pytest_iosmem.targets.simulator",
    "device": "pytest_iosmem.targets.device",
}


@dataclass(frozen=True)
class TargetOption:
    """One option of a target: ``--iosmem-<name>`` on the command line, ``iosmem_<name>`` in ini.

    ``type`` is an ini type pytest knows: ``string``, ``bool``, ``linelist`` or ``args``.
    """

    name: str
    help: str
    default: Any = None
    type: str = "string"

    @property
    def flag(self) -> str:
        return "--iosmem-" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        return "iosmem_" + self.name


@dataclass
class TargetContext:
    """What a target factory gets: resolved option values and the xdist worker."""

    option: Callable[[str], Any]
    worker_id: str = "master"
    worker_count: int = 1
    artifacts_dir: str | None = None
    host: str = "localhost"  # this worker's host (pytest_iosmem.hosts.this_host), for pools across Macs
    extra: dict[str, Any] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        """A boolean option, whether it came as a flag, an ini bool or a string."""
        value = self.option(name)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)


def _module(kind: str):
    try:
        name = TARGET_MODULES[kind]
    except KeyError:
        raise UsageError(
            f"--iosmem-target={kind!r} is not a target; choose one of {', '.join(sorted(TARGET_MODULES))}"
        ) from None
    return importlib.import_module(name)


def target_options() -> list[tuple[str, TargetOption]]:
    """All (kind, option) pairs, from the data-only catalog (no target module is imported)."""
    from .catalog import OPTIONS_BY_TARGET

    return [(kind, opt) for kind, opts in OPTIONS_BY_TARGET.items() for opt in opts]


def create_target(kind: str, ctx: TargetContext) -> "Target":
    return _module(kind).create(ctx)
