"""Stored baselines: one JSON file per test module per profile.

Layout: ``<dir>/<profile key>/<module path>.json``, e.g.
``baselines/local-linux-x86_64/examples/test_gates.py.json``::

    {
      "profile": {"kind": "local", "model": "x86_64", "os": "linux", ...},
      "schema": 1,
      "tests": {
        "test_open_close_detail": {"end": 31457280, "iterations": 6,
                                    "leak_per_iteration": 2048, "peak": 33554432,
                                    "reclaimed": null}
      }
    }

Keys sorted, two-space indent, trailing newline: small, reviewable diffs.
Written only on purpose, under a file lock (safe with pytest-xdist and
parallel runs), atomically.  A corrupt or unknown-version file is a
BaselineError naming it, and is never overwritten as a side effect.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Iterator

from .atomic import file_lock, remove_stale_temps, write_atomic
from .errors import BaselineError
from .values import Baseline, Origin, Profile

__all__ = ["SCHEMA_VERSION", "BaselineStore", "split_nodeid", "NeighbourBaselineError"]

SCHEMA_VERSION = 1


class NeighbourBaselineError(BaselineError):
    """A baseline file of *another* profile (a nearest-rule candidate) cannot be read.

    Still an error naming the file (skipping it could silently pick a farther
    profile), but one that concerns only the tests whose lookup reached it:
    an update run, which never compares, goes on; a plain run fails those tests, not the session.
    """


def split_nodeid(nodeid: str) -> tuple[str, str]:
    """``"examples/test_gates.py::TestX::test_y[a]"`` -> (module path, test name)."""
    module, sep, name = nodeid.partition("::")
    if not sep:
        raise BaselineError(f"{nodeid!r} is not a test node id")
    return module, name


class BaselineStore:
    """Reads and writes baseline files under one directory."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self._cache: dict[Path, dict[str, Any]] = {}

    # -- paths ----------------------------------------------------------------
    def path_for(self, profile: Profile, module: str) -> Path:
        rel = Path(module.replace("\\", "/"))
        if rel.is_absolute() or ".." in rel.parts:
            raise BaselineError(f"module path {module!r} must be relative to the rootdir")
        return self.root / profile.key / (str(rel) + ".json")

    # -- reading ----------------------------------------------------------------
    def _load_file(self, path: Path) -> dict[str, Any]:
        """The parsed file, or an empty document if it does not exist yet."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"schema": SCHEMA_VERSION, "tests": {}}
        except OSError as exc:
            raise BaselineError(f"cannot read baseline file {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise BaselineError(f"baseline file {path} is not UTF-8 text (corrupt?)") from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BaselineError(
                f"baseline file {path} is corrupt: {exc.msg} (line {exc.lineno}, column {exc.colno}). "
                "Fix it or restore it from version control; it will not be overwritten."
            ) from None
        if not isinstance(doc, dict):
            raise BaselineError(f"baseline file {path} is corrupt: expected a JSON object")
        version = doc.get("schema")
        if version != SCHEMA_VERSION:
            raise BaselineError(
                f"baseline file {path} has schema version {version!r}; this pytest-iosmem reads version "
                f"{SCHEMA_VERSION}. Upgrade pytest-iosmem or regenerate the file with --iosmem-update-baselines."
            )
        tests = doc.get("tests")
        if not isinstance(tests, dict):
            raise BaselineError(f"baseline file {path} is corrupt: 'tests' must be an object")
        for name, metrics in tests.items():
            Baseline.from_dict(metrics, f"baseline file {path}, test {name!r}")
        return doc

    def load(self, profile: Profile, nodeid: str) -> Baseline | None:
        module, name = split_nodeid(nodeid)
        path = self.path_for(profile, module)
        if path not in self._cache:
            self._cache[path] = self._load_file(path)
        raw = self._cache[path]["tests"].get(name)
        return None if raw is None else Baseline.from_dict(raw, f"baseline file {path}, test {name!r}")

    def lookup(self, profile: Profile, nodeid: str, rule: str = "nearest") -> Baseline | None:
        """The baseline of ``nodeid`` for ``profile`` by ``rule``, with its ``origin`` set.

        ``rule``: ``exact`` (only this profile), ``nearest`` (this profile, else
        the nearest stored one by :mod:`pytest_iosmem.nearest`), or a profile
        key (always that profile's).  A corrupt file of a candidate profile is a
        BaselineError naming it: skipping it could silently pick a farther one.
        """
        from .nearest import choose

        if rule not in ("exact", "nearest"):
            found = self._load_key(rule, nodeid)
            return None if found is None else replace(
                found, origin=Origin(rule, "pinned", profile.key, "--iosmem-baseline-profile"))
        own = self.load(profile, nodeid)
        if own is not None or rule == "exact":
            return None if own is None else replace(own, origin=Origin(profile.key, "exact", profile.key))
        module, name = split_nodeid(nodeid)
        candidates = []
        for key, path in self._candidate_files(profile, module):
            try:
                doc = self._cached(path)
            except BaselineError as exc:
                raise NeighbourBaselineError(str(exc)) from None
            if name not in doc["tests"]:
                continue
            record = doc.get("profile")
            if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in ("kind", "model", "os")):
                raise BaselineError(
                    f"baseline file {path} has no profile record (kind, model, os), so the nearest-profile rule "
                    "cannot tell which machine it is for; add it, or pin --iosmem-baseline-profile=exact"
                )
            candidates.append((key, Profile(record["kind"], record["model"], record["os"], record.get("name", ""))))
        chosen = choose(profile, candidates)
        if chosen is None:
            return None
        key, reason = chosen
        found = self._load_key(key, nodeid)
        return None if found is None else replace(found, origin=Origin(key, "nearest", profile.key, reason))

    def _candidate_files(self, profile: Profile, module: str) -> Iterator[tuple[str, Path]]:
        """Files of other profiles of the same target kind that hold ``module`` (other kinds are never read)."""
        if not self.root.is_dir():
            return
        rel = str(Path(module.replace("\\", "/"))) + ".json"
        for profile_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            if profile_dir.name == profile.key or not profile_dir.name.startswith(profile.kind + "-"):
                continue
            path = profile_dir / rel
            if path.is_file():
                yield profile_dir.name, path

    def _cached(self, path: Path) -> dict[str, Any]:
        if path not in self._cache:
            self._cache[path] = self._load_file(path)
        return self._cache[path]

    def _load_key(self, key: str, nodeid: str) -> Baseline | None:
        module, name = split_nodeid(nodeid)
        rel = Path(module.replace("\\", "/"))
        if rel.is_absolute() or ".." in rel.parts:
            raise BaselineError(f"module path {module!r} must be relative to the rootdir")
        path = self.root / key / (str(rel) + ".json")
        raw = self._cached(path)["tests"].get(name)
        return None if raw is None else Baseline.from_dict(raw, f"baseline file {path}, test {name!r}")

    def iter_files(self) -> Iterator[tuple[str, Path]]:
        """(profile key, path) of every baseline file under the root."""
        if not self.root.is_dir():
            return
        for profile_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for path in sorted(profile_dir.rglob("*.json")):
                yield profile_dir.name, path

    def sweep_temps(self) -> list[Path]:
        """Remove every stale temporary file a killed writer left under the root (``iosmem baseline prune``)."""
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        for tmp in sorted(self.root.rglob(".*.json.*.tmp")):
            target = tmp.parent / tmp.name[1:].split(".json.", 1)[0]
            with file_lock(tmp):  # the lock its writer held: a live write is never touched
                removed += remove_stale_temps(target.with_name(target.name + ".json"))
        return removed

    def read_file(self, path: Path) -> dict[str, Any]:
        return self._load_file(path)

    # -- writing ----------------------------------------------------------------
    def update(self, profile: Profile, entries: Iterable[tuple[str, Baseline]]) -> list[Path]:
        """Merge ``(nodeid, baseline)`` entries into their files; returns the files written.

        Each file is re-read under its lock, so concurrent writers never lose
        each other's entries.  A corrupt file raises before anything is written.
        """
        by_file: dict[Path, dict[str, Baseline]] = {}
        for nodeid, baseline in entries:
            module, name = split_nodeid(nodeid)
            by_file.setdefault(self.path_for(profile, module), {})[name] = baseline
        written = []
        for path, tests in sorted(by_file.items()):
            with file_lock(path):
                remove_stale_temps(path)
                doc = self._load_file(path)
                doc["schema"] = SCHEMA_VERSION
                doc["profile"] = profile.to_dict()
                for name, baseline in tests.items():
                    doc["tests"][name] = baseline.to_dict()
                self._write(path, doc)
            self._cache.pop(path, None)
            written.append(path)
        return written

    def remove(self, path: Path, names: Iterable[str], delete_if_empty: bool = False) -> int:
        """Remove tests from one file (for ``iosmem baseline prune``); returns how many.

        ``delete_if_empty``: a file left with no test is deleted, under the same
        lock as the read and the removal (deleted after the lock, a test a
        concurrent ``--iosmem-update-baselines`` had just added would be lost).
        """
        names = set(names)
        with file_lock(path):
            remove_stale_temps(path)
            doc = self._load_file(path)
            before = len(doc["tests"])
            doc["tests"] = {k: v for k, v in doc["tests"].items() if k not in names}
            removed = before - len(doc["tests"])
            if removed and delete_if_empty and not doc["tests"]:
                try:
                    path.unlink()
                except OSError as exc:
                    raise BaselineError(f"cannot delete the emptied baseline file {path}: {exc.strerror or exc}") from None
            elif removed:
                self._write(path, doc)
        self._cache.pop(path, None)
        return removed

    @staticmethod
    def _write(path: Path, doc: dict[str, Any]) -> None:
        text = json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n"
        try:
            write_atomic(path, text)
        except OSError as exc:
            raise BaselineError(f"cannot write baseline file {path}: {exc.strerror or exc}") from None
