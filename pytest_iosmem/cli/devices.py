"""``iosmem devices``: the targets that can be used on this machine, as a table."""

from __future__ import annotations

import shutil
import sys

from tabulate import tabulate


def register(sub, formatter) -> None:
    p = sub.add_parser("devices", help="list the targets usable here (local, simulators, devices)",
                       description=__doc__, epilog="example: iosmem devices", formatter_class=formatter)
    p.set_defaults(handler=run)


def _local_row() -> list[str]:
    from ..targets.local import LocalTarget

    p = LocalTarget(runtime=f"{sys.implementation.name}{sys.version_info[0]}.{sys.version_info[1]}").profile()
    return ["local", "this host", p.name, p.key, "ready (bundled reference app by default)"]


def _simulator_rows() -> tuple[list[list[str]], str | None]:
    if shutil.which("xcrun") is None:
        return [], "simulators: no xcrun on PATH (needs macOS with Xcode)"
    try:
        from ..targets import simulator
    except ImportError:
        return [], "simulators: the simulator target is not available in this version"
    try:
        return simulator.device_rows(), None
    except Exception as exc:  # noqa: BLE001 - a listing problem is reported, not fatal
        return [], f"simulators: {exc}"


def _device_rows() -> tuple[list[list[str]], str | None]:
    try:
        from ..targets import device
    except ImportError:
        return [], "devices: the device target is not available in this version"
    try:
        return device.device_rows(), None
    except Exception as exc:  # noqa: BLE001
        return [], f"devices: {exc}"


def run(args) -> int:
    rows = [_local_row()]
    notes = []
    for found, note in (_simulator_rows(), _device_rows()):
        rows += found
        if note:
            notes.append(note)
    print(tabulate(rows, headers=("target", "id", "name", "profile", "state"), tablefmt="simple"))
    for note in notes:
        print(note)
    return 0
