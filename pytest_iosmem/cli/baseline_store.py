"""The baselines directory as the ``iosmem baseline`` subcommands read it.

Shared by ``show`` (in :mod:`.baseline`) and the ``diff``/``update``/``prune``
modules; it lives apart so that :mod:`.baseline`, which registers those
subcommands, and the subcommands do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .common import CliError

__all__ = ["Entry", "open_store", "entries", "profiles"]


@dataclass(frozen=True)
class Entry:
    """One stored baseline: its profile, test node id, metrics and file."""

    profile: str
    nodeid: str
    metrics: dict[str, Any]
    path: Path


def open_store(directory: str, must_exist: bool = True) -> Any:
    from ..baseline import BaselineStore

    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise CliError(f"--dir {root}: not a directory")
    if must_exist and not root.is_dir():
        raise CliError(f"--dir {root}: no baselines directory here (give --dir)")
    return BaselineStore(root)


def entries(store: Any, profile: str | None = None) -> Iterator[Entry]:
    """Every stored baseline, file by file; a corrupt file raises BaselineError naming it."""
    for key, path in store.iter_files():
        if profile and key != profile:
            continue
        module = path.relative_to(store.root / key).as_posix()[: -len(".json")]
        for name, metrics in sorted(store.read_file(path)["tests"].items()):
            yield Entry(key, f"{module}::{name}", metrics, path)


def profiles(store: Any) -> list[str]:
    return sorted({key for key, _ in store.iter_files()})
