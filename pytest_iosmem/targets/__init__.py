"""Target registry: which module implements which target, and their options.

Each target module exposes::

    OPTIONS: tuple[TargetOption, ...]     # registered by the plugin as
                                          # --iosmem-<name> and ini iosmem_<name>
    def create(ctx: TargetContext) -> Target

Modules are imported only when their options are registered (cheap: no heavy
imports at module level) or when the target is chosen.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import UsageError
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
    """All (kind, option) pairs of the targets that are present."""
    out = []
    for kind in TARGET_MODULES:
        try:
            mod = _module(kind)
        except ImportError:  # a target module not written yet / removed
            continue
        out.extend((kind, opt) for opt in getattr(mod, "OPTIONS", ()))
    return out


def create_target(kind: str, ctx: TargetContext) -> Target:
    return _module(kind).create(ctx)
