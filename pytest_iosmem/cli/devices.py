"""``iosmem devices``: the targets that can be used on this machine, as a table.

- local: always (this host; its profile key is the one baselines are stored under);
- simulators: when ``xcrun`` is on PATH (macOS with Xcode), from ``simctl list``;
- devices: when pymobiledevice3 is installed, the connected iPhones/iPads.

A kind that cannot be listed here is said in one plain line under the table;
that is information, not an error (exit 0).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from typing import Any, Callable

from tabulate import tabulate

from ..errors import IosMemError
from .common import EXIT_OK, add_parser

Rows = list[list[str]]
HEADERS = ("target", "id", "name", "profile", "state")


def register(sub: Any) -> None:
    p = add_parser(sub, "devices", "list the targets usable here (local, simulators, devices)", __doc__,
                   "example:\n  iosmem devices")
    p.set_defaults(handler=run)


def local_rows() -> Rows:
    """This host, keyed as the local target keys the bundled reference app (Python runtime included)."""
    from ..targets.local import LocalTarget, refapp_runtime

    p = LocalTarget(runtime=refapp_runtime()).profile()
    return [["local", "this host", p.name, p.key, "ready (bundled reference app, or --iosmem-app COMMAND)"]]


def simulator_rows() -> Rows:
    if shutil.which("xcrun") is None:
        raise LookupError("no xcrun on PATH (simulators need macOS with Xcode)")
    from ..targets.simulator import device_rows

    rows = device_rows()
    if not rows:
        raise LookupError("xcrun found, but no available simulator (create one in Xcode or with simctl create)")
    return rows


def device_rows() -> Rows:
    try:
        import pymobiledevice3  # noqa: F401
    except ImportError:
        raise LookupError("pymobiledevice3 is not installed (from your pytest-iosmem checkout: "
                          "pip install -e '.[device]')") from None
    from ..targets.device import device_rows as rows_of_connected

    rows = rows_of_connected()
    if not rows:
        raise LookupError("none connected (plug one in, unlock it, trust this computer)")
    return rows


def _collect(kind: str, lister: Callable[[], Rows]) -> tuple[Rows, str | None]:
    """Rows of one kind, or a note saying plainly why there are none."""
    try:
        return lister(), None
    except LookupError as exc:
        return [], f"{kind}: {exc}"
    except (IosMemError, OSError, subprocess.SubprocessError) as exc:
        return [], f"{kind}: cannot list them: {exc}"


def run(args: argparse.Namespace) -> int:
    rows = local_rows()
    notes = []
    for kind, lister in (("simulators", simulator_rows), ("devices", device_rows)):
        found, note = _collect(kind, lister)
        rows += found
        if note:
            notes.append(note)
    print(tabulate(rows, headers=HEADERS, tablefmt="simple", disable_numparse=True))
    for note in notes:
        print(note)
    return EXIT_OK
