"""The ``xcrun simctl`` wrapper: argument lists (no shell), timeouts, one clear error per failure.

Every call goes through :meth:`Simctl.run`, so the command lines are easy to
test without running them and the end-to-end flow can be tested against a
stand-in ``xcrun`` on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Sequence

from ..errors import TargetError, TargetUnavailable
from ..parsers.simctl import SimctlList, SimDevice, parse_launch_pid, parse_launchctl_pid, parse_list, runtime_label

__all__ = ["Simctl", "MEMORY_WARNING_NOTIFICATION"]

MEMORY_WARNING_NOTIFICATION = "com.apple.UIKit.SimulatorMemoryWarning"


@dataclass
class Simctl:
    xcrun: str = "xcrun"
    timeout: float = 60.0

    def run(self, args: Sequence[str], timeout: float | None = None, check: bool = True) -> subprocess.CompletedProcess:
        exe = shutil.which(self.xcrun)
        if exe is None:
            where = "this host is not macOS" if sys.platform != "darwin" else "Xcode's command line tools are missing"
            raise TargetUnavailable(
                f"no '{self.xcrun}' on PATH ({where}): the simulator target needs macOS with Xcode "
                "(xcode-select --install, then sudo xcode-select -s /Applications/Xcode.app)"
            )
        cmd = [exe, *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired:
            raise TargetError(f"'xcrun {' '.join(args)}' did not finish within {timeout or self.timeout:g}s") from None
        if check and proc.returncode != 0:
            err = (proc.stderr or proc.stdout).strip().splitlines()
            raise TargetError(f"'xcrun {' '.join(args)}' failed (exit {proc.returncode}): {err[-1] if err else 'no output'}")
        return proc

    # -- finding ----------------------------------------------------------------------
    def list(self) -> SimctlList:
        return parse_list(self.run(["simctl", "list", "-j"]).stdout)

    def pick(self, udid: str | None = None, name: str | None = None, runtime: str | None = None) -> tuple[SimDevice, SimctlList]:
        listing = self.list()
        usable = [d for d in listing.devices if d.available]
        if udid:
            for d in listing.devices:
                if d.udid.upper() == udid.upper():
                    if not d.available:
                        raise TargetError(f"simulator {udid} ({d.name}) is not available: its runtime is missing")
                    return d, listing
            raise TargetError(f"no simulator with UDID {udid}. Available:\n{self.describe(usable, listing)}")
        match = [
            d for d in usable
            if (not name or d.name == name)
            and (not runtime or runtime.lower() in runtime_label(listing, d).lower() or runtime == d.runtime)
        ]
        if not match:
            want = " on ".join(x for x in (name, runtime) if x) or "any"
            raise TargetError(f"no available simulator matches {want}. Available:\n{self.describe(usable, listing)}")
        booted = [d for d in match if d.state == "Booted"]
        return (booted or match)[0], listing

    @staticmethod
    def describe(devices: list[SimDevice], listing: SimctlList) -> str:
        if not devices:
            return "  (none: create one with 'xcrun simctl create NAME DEVICE_TYPE RUNTIME')"
        return "\n".join(f"  {d.udid}  {d.name} ({runtime_label(listing, d)}) {d.state}" for d in devices)

    # -- lifecycle ----------------------------------------------------------------------
    def boot(self, udid: str, timeout: float = 300) -> None:
        """Boot (if needed) and wait until the simulator has finished booting."""
        self.run(["simctl", "bootstatus", udid, "-b"], timeout=timeout)

    def install(self, udid: str, app_path: str) -> None:
        self.run(["simctl", "install", udid, app_path], timeout=300)

    def launch(self, udid: str, bundle_id: str, args: Sequence[str] = (), env: dict[str, str] | None = None) -> int:
        """Launch, terminating a running instance first; returns the app's host pid."""
        extra_env = {f"SIMCTL_CHILD_{k}": v for k, v in (env or {}).items()}
        cmd = ["simctl", "launch", "--terminate-running-process", udid, bundle_id, *args]
        proc = self._run_env(cmd, extra_env)
        return parse_launch_pid(proc.stdout, bundle_id)

    def _run_env(self, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
        import os

        exe = shutil.which(self.xcrun)
        if exe is None:
            self.run(args)  # raises the clear "no xcrun" error
        try:
            proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=self.timeout,
                                  env={**os.environ, **env})
        except subprocess.TimeoutExpired:
            raise TargetError(f"'xcrun {' '.join(args)}' did not finish within {self.timeout:g}s") from None
        if proc.returncode != 0:
            err = (proc.stderr or proc.stdout).strip().splitlines()
            raise TargetError(f"'xcrun {' '.join(args)}' failed (exit {proc.returncode}): {err[-1] if err else 'no output'}")
        return proc

    def terminate(self, udid: str, bundle_id: str) -> None:
        self.run(["simctl", "terminate", udid, bundle_id], check=False)

    def memory_warning(self, udid: str) -> None:
        self.run(["simctl", "spawn", udid, "notifyutil", "-p", MEMORY_WARNING_NOTIFICATION])

    def app_pid(self, udid: str, bundle_id: str) -> int | None:
        """Host pid of an app launched by someone else (WebDriverAgent), from launchd_sim's list."""
        return parse_launchctl_pid(self.run(["simctl", "spawn", udid, "launchctl", "list"]).stdout, bundle_id)

    def clone(self, udid: str, name: str) -> str:
        return self.run(["simctl", "clone", udid, name], timeout=300).stdout.strip()

    def delete(self, udid: str) -> None:
        self.run(["simctl", "delete", udid], check=False)
