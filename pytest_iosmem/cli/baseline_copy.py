"""``iosmem baseline copy|rename FROM TO``: a profile's baselines under another profile key.

The "new CI image" day: the runner moved from Python 3.11 to 3.12 (or
Xcode's simulator runtime from iOS 17.2 to 17.4), and the run says it used
the nearest profile's baselines.  Once the team has looked at the numbers,
``copy`` makes them the new profile's own (``rename`` also removes the old
ones).  Both are all-or-nothing: every source file is read and validated and
every destination checked before anything is written; a destination that
already holds a baseline is never overwritten without ``--force`` (then the
copied tests replace the ones of the same name, the others stay).  Each file
is written atomically under its lock.

``TO`` must be a key of the same target kind and model as ``FROM``
(``<kind>-<os>-<model>``, as ``iosmem devices`` and the terminal summary
print it): the written files record it as their profile, which is what the
nearest-profile rule reads.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from .common import EXIT_OK, CliError, add_parser

_SLUG = re.compile(r"^[a-z0-9._-]+$")


def register(actions: Any) -> None:
    for name, help_text in (("copy", "copy one profile's baselines to another profile key"),
                            ("rename", "move one profile's baselines to another profile key")):
        p = add_parser(actions, name, help_text, __doc__,
                       f"examples:\n  iosmem baseline {name} local-linux-cpython3.11-x86_64 local-linux-cpython3.12-x86_64\n"
                       f"  iosmem baseline {name} 'simulator-ios_17.2-com.apple.coresimulator.simdevicetype.iphone-15' \\\n"
                       "      'simulator-ios_17.4-com.apple.coresimulator.simdevicetype.iphone-15' --force")
        p.add_argument("source", metavar="FROM", help="the profile key whose baselines are copied")
        p.add_argument("dest", metavar="TO", help="the profile key they are stored under")
        p.add_argument("--force", action="store_true", help="replace baselines TO already holds for the same tests")
        p.set_defaults(handler=run, remove_source=(name == "rename"))


def _model_slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_").lower()


def dest_profile(record: dict[str, Any], source: str, dest: str) -> dict[str, Any]:
    """The profile record of the copied files; CliError when TO is not a key of FROM's kind and model."""
    from ..values import Profile

    kind, model = record.get("kind"), record.get("model")
    if not isinstance(kind, str) or not isinstance(model, str):
        raise CliError(f"{source}: its files have no profile record (kind, model); cannot tell what {dest} would be")
    prefix, suffix = kind + "-", "-" + _model_slug(model)
    if not (dest.startswith(prefix) and dest.endswith(suffix) and len(dest) > len(prefix) + len(suffix)):
        raise CliError(
            f"TO {dest!r} is not a profile key of the same target and model as {source!r}: "
            f"write it as {prefix}<os>{suffix}"
        )
    os_slug = dest[len(prefix):-len(suffix)]
    profile = Profile(kind, model, os_slug)
    if profile.key != dest:
        raise CliError(f"TO {dest!r} is not a profile key (it would be written {profile.key!r})")
    return {**profile.to_dict(), "copied_from": source}


def run(args: argparse.Namespace) -> int:
    from ..atomic import file_lock
    from ..baseline import SCHEMA_VERSION, BaselineStore

    root = Path(args.dir)
    source, dest = args.source.strip(), args.dest.strip()
    if not root.is_dir():
        raise CliError(f"--dir {root}: no baselines directory here (give --dir)")
    known = sorted(p.name for p in root.iterdir() if p.is_dir())
    if source not in known:
        raise CliError(f"FROM {source!r}: no baselines for it in {root} (profiles: {', '.join(known) or 'none'})")
    if not _SLUG.match(dest):
        raise CliError(f"TO {dest!r} is not a profile key (lower-case letters, digits, '.', '_' and '-')")
    if dest == source:
        raise CliError(f"FROM and TO are both {source!r}")
    store = BaselineStore(root)
    plan = []  # (source path, dest path, source doc, dest doc or None)
    for key, path in store.iter_files():
        if key != source:
            continue
        doc = store.read_file(path)  # a corrupt source is a BaselineError naming it, before anything is written
        target = root / dest / path.relative_to(root / source)
        existing = store.read_file(target) if target.exists() else None
        clash = sorted(set(doc["tests"]) & set((existing or {}).get("tests", {})))
        if clash and not args.force:
            raise CliError(
                f"{target} already holds baselines for {', '.join(clash[:3])}{' …' if len(clash) > 3 else ''}; "
                "nothing was written (use --force to replace them)"
            )
        plan.append((path, target, doc, existing))
    if not plan:
        raise CliError(f"FROM {source!r}: {root / source} holds no baseline file")
    record = dest_profile(plan[0][2].get("profile") or {}, source, dest)
    for path, target, doc, _existing in plan:
        with file_lock(target):
            current = store.read_file(target) if target.exists() else {"tests": {}}
            merged = {"schema": SCHEMA_VERSION, "profile": record, "tests": {**current["tests"], **doc["tests"]}}
            store._write(target, merged)
        print(f"{'moved' if args.remove_source else 'copied'} {len(doc['tests'])} baseline(s): {path} -> {target}")
    if args.remove_source:
        for path, *_ in plan:
            path.unlink()
        for d in sorted((p for p in (root / source).rglob("*") if p.is_dir()), reverse=True):
            if not any(d.iterdir()):
                d.rmdir()
        if not any((root / source).iterdir()):
            (root / source).rmdir()
    return EXIT_OK
