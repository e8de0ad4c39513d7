"""The ``xcrun simctl`` wrapper: argument lists (no shell), timeouts, one clear error per failure.

Every call goes through :meth:`Simctl.run`, so the command lines are plain
lists that tests assert exactly, and the whole flow can run against a
stand-in ``xcrun`` on PATH (tests/fakes/xcrun).  Output is read by the pure
parsers of :mod:`pytest_iosmem.parsers.simctl`.

What each failure becomes:

- no ``xcrun`` on PATH (not macOS, or no Xcode): :class:`TargetUnavailable` saying what to install;
- ``xcrun`` without ``simctl`` (only the Command Line Tools selected): :class:`TargetUnavailable`
  with the ``xcode-select`` command;
- a UDID simctl does not know, an app that is not installed, any other non-zero exit or a
  timeout: :class:`TargetError` with the command, simctl's own last words, and a hint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ..errors import ParseError, TargetError, TargetUnavailable
from ..parsers.simctl import (
    SimctlList,
    SimDevice,
    parse_launch_pid,
    parse_launchctl_pid,
    parse_list,
    parse_text_devices,
    runtime_label,
)

__all__ = ["Simctl", "MEMORY_WARNING_NOTIFICATION", "CHILD_ENV_PREFIX", "child_env"]

MEMORY_WARNING_NOTIFICATION = "com.apple.UIKit.SimulatorMemoryWarning"
CHILD_ENV_PREFIX = "SIMCTL_CHILD_"  # simctl launch/spawn pass these to the app, prefix removed

_HINTS = (
    ("Invalid device", "the UDID is not a simulator on this Mac: see 'xcrun simctl list devices' or 'iosmem devices'"),
    ("unable to find utility \"simctl\"",
     "only the Command Line Tools are selected: sudo xcode-select -s /Applications/Xcode.app"),
    ("FBSOpenApplicationServiceErrorDomain",
     "is the app installed on this simulator? give --iosmem-simulator-app PATH.app to install it"),
    ("Unable to boot", "the simulator cannot boot: is its runtime installed? (Xcode > Settings > Platforms)"),
    ("No devices are booted", "boot the simulator first (the target does: check --iosmem-simulator-udid)"),
    ("current state: Booted", "clone a shut-down simulator: xcrun simctl shutdown UDID, then run again"),
)


def child_env(env: Mapping[str, str] | None) -> dict[str, str]:
    """``{"MallocStackLogging": "1"}`` -> ``{"SIMCTL_CHILD_MallocStackLogging": "1"}``."""
    return {CHILD_ENV_PREFIX + k: str(v) for k, v in (env or {}).items()}


@dataclass
class Simctl:
    """``xcrun simctl`` with a default timeout; ``calls`` keeps every argument list run (for failure messages)."""

    xcrun: str = "xcrun"
    timeout: float = 60.0
    calls: list[list[str]] = field(default_factory=list)

    # -- running ------------------------------------------------------------------------
    def _exe(self) -> str:
        exe = shutil.which(self.xcrun)
        if exe is None:
            where = (f"this host is {sys.platform}, not macOS" if sys.platform != "darwin"
                     else "Xcode is not installed or not selected")
            raise TargetUnavailable(
                f"no '{self.xcrun}' on PATH ({where}): the simulator target needs a Mac with Xcode "
                "(install Xcode, then: sudo xcode-select -s /Applications/Xcode.app)"
            )
        return exe

    def run(self, args: Sequence[str], timeout: float | None = None, check: bool = True,
            env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``xcrun ARGS``; ``env`` is added to this process's environment for the call."""
        argv = [str(a) for a in args]
        exe = self._exe()
        limit = timeout or self.timeout
        self.calls.append(argv)
        shown = "xcrun " + " ".join(argv)
        try:
            proc = subprocess.run([exe, *argv], capture_output=True, text=True, timeout=limit,
                                  env={**os.environ, **env} if env else None)
        except subprocess.TimeoutExpired:
            raise TargetError(f"'{shown}' did not finish within {limit:g}s (is the simulator stuck? "
                              "try 'xcrun simctl shutdown all')") from None
        except OSError as exc:
            raise TargetUnavailable(f"cannot run {exe}: {exc.strerror or exc}") from None
        if check and proc.returncode != 0:
            raise self._failure(shown, proc)
        return proc

    @staticmethod
    def _failure(shown: str, proc: subprocess.CompletedProcess[str]) -> TargetError:
        said = (proc.stderr or proc.stdout or "").strip()
        last = " | ".join(said.splitlines()[-3:]) or "no output"
        hint = next((h for needle, h in _HINTS if needle in said), "")
        cls = TargetUnavailable if "unable to find utility" in said else TargetError
        return cls(f"'{shown}' failed (exit {proc.returncode}): {last}" + (f"; {hint}" if hint else ""))

    # -- finding ------------------------------------------------------------------------
    def list(self) -> SimctlList:
        """``simctl list -j``; when it lists no device at all, the text listing is consulted.

        Xcode 26.0's JSON listing can be empty while the text one is not; then the
        text's devices are used when their device type can be told from their
        name, else the error says what to do.
        """
        try:
            listing = parse_list(self.run(["simctl", "list", "-j"]).stdout)
        except ParseError as exc:
            raise TargetError(str(exc)) from None
        if listing.devices:
            return listing
        text_devices = parse_text_devices(self.run(["simctl", "list", "devices"]).stdout)
        if not text_devices:
            return listing
        by_name = {}
        for t in listing.device_types.values():
            by_name.setdefault(t.name, []).append(t.identifier)
        resolved = []
        for d in text_devices:
            types = by_name.get(d.name, [])
            if len(types) != 1:
                raise TargetError(
                    f"'xcrun simctl list -j' lists no simulator but 'xcrun simctl list devices' shows "
                    f"{len(text_devices)} (the Xcode 26.0 JSON bug), and the device type of '{d.name}' cannot "
                    "be told from its name: update Xcode"
                )
            resolved.append(SimDevice(d.udid, d.name, d.state, d.runtime, types[0], d.available, d.availability_error))
        listing.devices = resolved
        return listing

    def pick(self, udid: str | None = None, name: str | None = None,
             runtime: str | None = None) -> tuple[SimDevice, SimctlList]:
        """The simulator to use: by UDID, or by name and/or runtime ("iOS 17.5" or "17.5").

        Several matches: a booted one first, then the newest runtime.  Nothing
        given: the one booted simulator.  No match: the error lists the available ones.
        """
        listing = self.list()
        usable = [d for d in listing.devices if d.available]
        if udid:
            found = listing.find(udid)
            if found is None:
                raise TargetError(f"no simulator with UDID {udid}. Available:\n{self.describe(usable, listing)}")
            if not found.available:
                why = found.availability_error or "its runtime is missing"
                raise TargetError(f"simulator {udid} ({found.name}) is not available: {why}")
            return found, listing
        matches = [d for d in usable if self._matches(d, listing, name, runtime)]
        if not name and not runtime:
            matches = [d for d in matches if d.state == "Booted"]
            if len(matches) != 1:
                raise TargetError(
                    f"{len(matches)} simulators are booted: choose one with --iosmem-simulator-udid or "
                    f"--iosmem-simulator-name (and --iosmem-simulator-runtime). Available:\n"
                    f"{self.describe(usable, listing)}"
                )
        if not matches:
            want = " on ".join(x for x in (name, runtime) if x)
            raise TargetError(f"no available simulator matches {want}. Available:\n{self.describe(usable, listing)}")

        def rank(d: SimDevice) -> tuple[bool, tuple[int, ...]]:
            r = listing.runtime_of(d)
            version = tuple(int(p) for p in r.version.split(".") if p.isdigit()) if r else ()
            return (d.state == "Booted", version)

        return max(matches, key=rank), listing

    @staticmethod
    def _matches(d: SimDevice, listing: SimctlList, name: str | None, runtime: str | None) -> bool:
        if name and d.name.casefold() != name.strip().casefold():
            return False
        if runtime:
            want = runtime.strip().casefold()
            r = listing.runtime_of(d)
            labels = {runtime_label(listing, d).casefold(), d.runtime.casefold()}
            if r:
                labels |= {r.version.casefold(), r.identifier.casefold()}
            if want not in labels:
                return False
        return True

    @staticmethod
    def describe(devices: list[SimDevice], listing: SimctlList) -> str:
        if not devices:
            return "  (none: create one in Xcode, or: xcrun simctl create NAME DEVICE_TYPE RUNTIME)"
        return "\n".join(f"  {d.udid}  {d.name} ({runtime_label(listing, d)}) {d.state}" for d in devices)

    # -- lifecycle ----------------------------------------------------------------------
    def boot(self, udid: str, timeout: float = 300) -> None:
        """Boot if needed and wait until booted: ``simctl bootstatus UDID -b``."""
        self.run(["simctl", "bootstatus", udid, "-b"], timeout=timeout)

    def install(self, udid: str, app_path: str) -> None:
        if not os.path.isdir(app_path):
            raise TargetError(f"--iosmem-simulator-app {app_path!r}: no such .app directory "
                              "(build it for the simulator: xcodebuild -sdk iphonesimulator ...)")
        self.run(["simctl", "install", udid, app_path], timeout=300)

    def launch(self, udid: str, bundle_id: str, args: Sequence[str] = (),
               env: Mapping[str, str] | None = None) -> int:
        """Launch (terminating a running instance first); returns the app's host pid.

        ``env`` reaches the app through simctl's ``SIMCTL_CHILD_`` prefix.
        """
        proc = self.run(["simctl", "launch", "--terminate-running-process", udid, bundle_id, *args],
                        env=child_env(env))
        try:
            return parse_launch_pid(proc.stdout, bundle_id)
        except ParseError as exc:
            raise TargetError(str(exc)) from None

    def terminate(self, udid: str, bundle_id: str) -> None:
        """``simctl terminate``; not running is not an error (exit status ignored)."""
        self.run(["simctl", "terminate", udid, bundle_id], check=False)

    def memory_warning(self, udid: str) -> None:
        """What Simulator's Debug > Simulate Memory Warning posts, as a Darwin notification.

        ``simctl notify_post <device> <name>`` is simctl's own command for it
        ("Post a darwin notification on a device" in ``xcrun simctl help``); a
        simctl that refuses it (an older Xcode, or a failure) gets the older
        way, ``simctl spawn <device> notifyutil -p <name>``, and an error names both.
        """
        try:
            self.run(["simctl", "notify_post", udid, MEMORY_WARNING_NOTIFICATION])
            return
        except TargetUnavailable:
            raise
        except TargetError as exc:
            first = str(exc)
        try:
            self.run(["simctl", "spawn", udid, "notifyutil", "-p", MEMORY_WARNING_NOTIFICATION])
        except TargetError as exc:
            raise TargetError(f"no memory warning was posted: {first}; then {exc}") from None

    def memory_warning_evidence(self, udid: str, pid: int, since: str) -> str | None:
        """A log line of ``pid`` since ``since`` (``YYYY-MM-DD HH:MM:SS``) that mentions a memory warning, or None.

        ``simctl spawn <device> log show --style compact --start … --predicate …``:
        UIKit logs "Received memory warning." in the app's process when the
        warning arrives (and apps often log their own).  ``log show`` prints
        its filter first ("Filtering the log data using …", which holds the
        words searched for) and a column header; neither is evidence.  A
        failing ``log show`` raises TargetError: the caller says it could not confirm.
        """
        predicate = f'processIdentifier == {int(pid)} AND eventMessage CONTAINS[c] "memory warning"'
        proc = self.run(["simctl", "spawn", udid, "log", "show", "--style", "compact", "--start", since,
                         "--predicate", predicate], timeout=60)
        for line in proc.stdout.splitlines():
            text = line.strip()
            if not text or text.startswith(("Filtering the log data", "Timestamp", "Skipping info and debug")):
                continue
            if "memory warning" in text.lower():
                return text
        return None

    def app_pid(self, udid: str, bundle_id: str) -> int | None:
        """Host pid of an app launched by someone else (WebDriverAgent), from launchd_sim's job list."""
        proc = self.run(["simctl", "spawn", udid, "launchctl", "list"])
        try:
            return parse_launchctl_pid(proc.stdout, bundle_id)
        except ParseError as exc:
            raise TargetError(str(exc)) from None

    def clone(self, udid: str, name: str) -> str:
        """``simctl clone UDID NAME`` (the source must be shut down); returns the new UDID."""
        out = self.run(["simctl", "clone", udid, name], timeout=300).stdout.strip().splitlines()
        if not out or len(out[-1].strip()) != 36:
            raise TargetError(f"'xcrun simctl clone {udid} {name}' printed no UDID: {' | '.join(out) or 'nothing'}")
        return out[-1].strip()

    def shutdown(self, udid: str) -> None:
        self.run(["simctl", "shutdown", udid], check=False)

    def delete(self, udid: str) -> None:
        self.run(["simctl", "delete", udid], check=False)
