"""``iosmem doctor``: is this machine ready for the local, simulator or device target? One line per check.

Like ``flutter doctor`` or appium's driver doctor: each check prints OK, or
what is wrong and the command that fixes it.  Exit status 0 when no check
failed, 1 otherwise (warnings do not fail), so CI can run it first.

local (the plugin's default target, and the doctor's): this Python, psutil,
and the footprint of a process the doctor starts, read the way the local
target reads it (``/proc`` on Linux, libproc on macOS).

simulator: Xcode and ``xcrun simctl`` (which version); a usable simulator for
the profile asked (``--simulator-name`` / ``--simulator-runtime`` /
``--simulator-udid``); the emulated model's jetsam row; ``heap``, ``leaks``
and ``malloc_history`` run the way the simulator target runs them
(:class:`~pytest_iosmem.targets.simulator.SimulatorTarget`'s
``class_histogram``, ``leaks_report`` and ``allocation_stacks``) on your
app launched with MallocStackLogging (``--app``), a running process
(``--pid``), or else a process the doctor starts itself with
MallocStackLogging; a refused attach (``not allowed to attach``,
``task_for_pid``) names ``DevToolsSecurity -enable``, a restricted ("not
debuggable") process is a warning: counts stand, contents are hidden;
WebDriverAgent (``--xctestrun``: started on the simulator, its URL must
answer ``/status``; ``--wda-url``, else WebDriverAgent's default
``http://127.0.0.1:8100``, must answer).

device: pymobiledevice3 importable and new enough (the install hint is
pyproject's pin); a device connected, paired and trusted; Developer Mode on;
the developer disk image mounted; the target's own connection (tunneld, the
in-process tunnel, ``--device-rsd`` or lockdown) with Instruments open, and
one sysmontap sample read through it, after WebDriverAgent answered when
``--wda-url`` is given (sysmontap is reported to return nothing while an
XCUITest session runs: pymobiledevice3 #1682); with ``--app``, the app's
get-task-allow entitlement; the model's jetsam row.  Every pymobiledevice3
call is in :mod:`pytest_iosmem.targets.device_adapter`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import IosMemError, TargetError
from .common import EXIT_OK, EXIT_REGRESSION, add_parser

__all__ = ["Check", "register", "run", "local_checks", "simulator_checks", "device_checks", "MIN_PYMOBILEDEVICE3", "MIN_XCODE"]

#: what the device target's adapter uses: the asyncio API (DvtProvider, 9.0) and the Leaks channel's
#: memory_graph, the newest of its calls (11.26, as device_adapter's docstring on the hygiene branch states)
MIN_PYMOBILEDEVICE3 = (11, 26, 0)
#: the docs, the workflow and WebDriverAgent's own CI (appium/WebDriverAgent wda-tests.yml MIN_XCODE_VERSION)
MIN_XCODE = (16, 4)

#: WebDriverAgent's own default address (FBConfiguration: port 8100), probed when no URL is given
DEFAULT_WDA_URL = "http://127.0.0.1:8100"

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"
#: what the host tools say when macOS refuses them the process (lldb's and leaks/heap's wording)
ATTACH_REFUSED = re.compile(r"not allowed to attach|task port was refused|task_for_pid", re.IGNORECASE)
ATTACH_FIX = ("allow developer tools to inspect processes: sudo DevToolsSecurity -enable, and put the user in the "
              "_developer group (sudo dseditgroup -o edit -a \"$USER\" -t user _developer); the app must be a "
              "Debug build (get-task-allow)")


@dataclass
class Check:
    """One line of the doctor's answer: a status, what was found, and what to do when it is not OK."""

    name: str
    status: str
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        out = [f"{self.status:<5} {self.name:<18} {self.detail}"]
        if self.fix and self.status in (WARN, FAIL):
            out.append(f"{'':<24}do: {self.fix}")
        return out


def register(sub: Any) -> None:
    p = add_parser(sub, "doctor", "check this machine for the local, simulator or device target", __doc__,
                   "examples:\n"
                   "  iosmem doctor                      (the local target, the plugin's default)\n"
                   "  iosmem doctor --target simulator --simulator-name 'iPhone 16' --simulator-runtime 'iOS 18.5'\n"
                   "  iosmem doctor --target simulator --app com.example.MyApp --xctestrun wda.xctestrun\n"
                   "  iosmem doctor --target device --wda-url http://127.0.0.1:8100")
    from ..options import GENERAL

    default = next(o.default for o in GENERAL if o.name == "target") or "local"
    p.add_argument("--target", choices=("local", "simulator", "device"), default=default,
                   help=f"which target to check (default: {default}, the plugin's default target)")
    p.add_argument("--simulator-udid", help="the simulator to check, by UDID")
    p.add_argument("--simulator-name", help="the simulator to check, by name (e.g. 'iPhone 16')")
    p.add_argument("--simulator-runtime", help="its runtime (e.g. 'iOS 18.5')")
    p.add_argument("--app", help="bundle id of your app: on a simulator, launched with MallocStackLogging to try "
                                 "heap, leaks and malloc_history on it (default: a process the doctor starts); "
                                 "on a device, its get-task-allow entitlement is checked")
    p.add_argument("--pid", type=int, help="try heap, leaks and malloc_history on this running process instead")
    p.add_argument("--xctestrun", help="simulator: the WebDriverAgent .xctestrun to start and ask /status")
    p.add_argument("--wda-url", help="a WebDriverAgent that should answer /status")
    p.add_argument("--wda-timeout", type=float, default=300.0,
                   help="seconds to wait for WebDriverAgent to serve (default 300: a cold start takes minutes)")
    p.add_argument("--device-udid", help="device: the one to check (default: the only one connected)")
    p.add_argument("--device-rsd", help="device: 'HOST PORT' of a tunnel you started (as --iosmem-device-rsd)")
    p.add_argument("--device-tunneld", help="device: HOST:PORT of a running tunneld (default 127.0.0.1:49151)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    by_target = {"local": local_checks, "simulator": simulator_checks, "device": device_checks}
    checks = by_target[args.target](args)
    print(f"iosmem doctor: {args.target} target")
    for check in checks:
        for line in check.lines():
            print(line)
    failed = [c for c in checks if c.status == FAIL]
    print(f"{len(failed)} check(s) failed" if failed else "no check failed")
    return EXIT_REGRESSION if failed else EXIT_OK


# -- shared ----------------------------------------------------------------------------------------
def _version_tuple(text: str) -> tuple[int, ...]:
    found = re.search(r"(\d+(?:\.\d+)*)", text or "")
    return tuple(int(p) for p in found.group(1).split(".")) if found else ()


def _jetsam_check(model: str | None, os_version: str | None, what: str) -> Check:
    from .. import jetsam_limits

    limit = jetsam_limits.lookup(model or "", os_version)
    if limit is not None:
        return Check("jetsam row", OK, f"{what}: {limit.bytes // (1024 * 1024)} MB ({limit.source})")
    return Check("jetsam row", WARN, jetsam_limits.unknown_reason(model, os_version),
                 "give --iosmem-jetsam-limit SIZE for the headroom gate (the other gates do not need it)")


def _wda_status_check(url: str, timeout: float) -> Check:
    from ..wda_glue import wait_until_ready

    try:
        body = wait_until_ready(url, timeout)
    except TargetError as exc:
        return Check("webdriveragent", FAIL, str(exc),
                     "start WebDriverAgent for this simulator/device (docs/simulator.md, docs/device.md) "
                     "and give its URL")
    value = body.get("value") or {}
    build = (value.get("build") or {}).get("version")
    os_info = value.get("os") or {}
    about = ", ".join(x for x in (f"WDA {build}" if build else "", f"{os_info.get('name', '')} "
                                  f"{os_info.get('version', '')}".strip()) if x)
    return Check("webdriveragent", OK, f"{url} answers /status" + (f" ({about})" if about else ""))


# -- local -----------------------------------------------------------------------------------------
def local_checks(args: argparse.Namespace) -> list[Check]:
    """The local target needs this Python, psutil and a readable footprint: read one here, the target's way."""
    import platform

    checks = [Check("python", OK, f"{platform.python_implementation()} {platform.python_version()} "
                                  f"({sys.executable}) on {platform.system()} {platform.machine()}")]
    try:
        import psutil

        checks.append(Check("psutil", OK, psutil.__version__))
    except ImportError as exc:
        checks.append(Check("psutil", FAIL, f"not importable ({exc})", f"{sys.executable} -m pip install psutil"))
    checks.append(_local_footprint_check())
    return checks


def _local_footprint_check() -> Check:
    from ..targets.local import LocalTarget

    child = subprocess.Popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"],
                             stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        child.stdout.readline()  # running Python, not a process still being exec'd
        target = LocalTarget()
        reading = target.read(target.attach(child.pid))
        source = {"linux": "/proc/PID/status", "darwin": "proc_pid_rusage"}.get(sys.platform, "psutil RSS")
        return Check("footprint", OK, f"read {reading.footprint // 1024} KiB from a child process ({source}): "
                                      "the local target is ready")
    except IosMemError as exc:
        return Check("footprint", FAIL, f"cannot read a child process's footprint: {exc}",
                     "run the tests as a user that may read its own processes' memory")
    finally:
        child.kill()
        child.wait()


# -- simulator -------------------------------------------------------------------------------------
def simulator_checks(args: argparse.Namespace) -> list[Check]:
    checks = [_xcode_check()]
    simctl_check, simctl = _simctl_check()
    checks.append(simctl_check)
    device = listing = None
    if simctl is None:
        checks.append(Check("simulator", SKIP, "needs xcrun simctl"))
    else:
        sim_check, device, listing = _simulator_check(simctl, args)
        checks.append(sim_check)
    if device is not None:
        checks.append(_simulator_jetsam_check(device, listing))
    else:
        checks.append(Check("jetsam row", SKIP, "needs a simulator"))
    checks.extend(_inspection_checks(args, simctl, device))
    checks.append(_simulator_wda_check(args, device))
    return checks


def _xcode_check() -> Check:
    if shutil.which("xcodebuild") is None:
        where = "this host is not macOS" if sys.platform != "darwin" else "Xcode is not installed"
        return Check("xcode", FAIL, f"no xcodebuild on PATH ({where})",
                     "install Xcode 16.4 or later, then: sudo xcode-select -s /Applications/Xcode.app")
    try:
        proc = subprocess.run(["xcodebuild", "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("xcode", FAIL, f"xcodebuild -version did not answer: {exc}",
                     "sudo xcode-select -s /Applications/Xcode.app")
    said = (proc.stdout or proc.stderr).strip()
    if proc.returncode != 0:
        return Check("xcode", FAIL, f"xcodebuild -version failed: {' | '.join(said.splitlines()[-2:])}",
                     "select a full Xcode, not the Command Line Tools: sudo xcode-select -s /Applications/Xcode.app")
    head = said.splitlines()
    version = head[0] + (f" ({head[1]})" if len(head) > 1 else "")
    if _version_tuple(said)[:2] < MIN_XCODE:
        return Check("xcode", WARN, f"{version}: older than {'.'.join(map(str, MIN_XCODE))}",
                     "the docs and WebDriverAgent's releases are checked with Xcode 16.4 and later")
    return Check("xcode", OK, version)


def _simctl_check():
    from ..targets.simctl import Simctl

    simctl = Simctl()
    try:
        listing = simctl.list()
    except IosMemError as exc:
        return Check("simctl", FAIL, str(exc), "sudo xcode-select -s /Applications/Xcode.app"), None
    available = [d for d in listing.devices if d.available]
    runtimes = sorted({r.name for r in listing.runtimes.values() if r.platform == "iOS" and r.available})
    detail = f"xcrun simctl lists {len(available)} available simulator(s)"
    if runtimes:
        detail += f"; iOS runtimes: {', '.join(runtimes)}"
    return Check("simctl", OK, detail), simctl


def _simulator_check(simctl, args: argparse.Namespace):
    from ..parsers.simctl import runtime_label
    from ..values import Profile

    udid, name, runtime = args.simulator_udid, args.simulator_name, args.simulator_runtime
    try:
        if udid or name or runtime:
            device, listing = simctl.pick(udid, name, runtime)
        else:
            listing = simctl.list()
            phones = [d for d in listing.devices if d.available and d.name.startswith("iPhone")]
            if not phones:
                raise TargetError("no available iPhone simulator")
            device = next((d for d in phones if d.state == "Booted"), phones[0])
    except IosMemError as exc:
        first_line = str(exc).splitlines()[0].removesuffix(" Available:").removesuffix(".")
        return (Check("simulator", FAIL, first_line,
                      "pick one from `xcrun simctl list devices available` (a fresh Xcode 16.4 has the iPhone 16 "
                      "family on iOS 18.x), or add a runtime: xcodebuild -downloadPlatform iOS"), None, None)
    label = runtime_label(listing, device)
    key = Profile("simulator", device.device_type or device.name, label).key
    asked = "" if (udid or name or runtime) else " (none asked: the first iPhone; choose with --simulator-name)"
    return (Check("simulator", OK, f"{device.name} ({label}) {device.udid} {device.state}; profile {key}{asked}"),
            device, listing)


def _simulator_jetsam_check(device, listing) -> Check:
    from .. import jetsam_limits
    from ..parsers.simctl import runtime_label

    dtype = listing.device_type_of(device)
    model = (dtype.model_identifier if dtype and dtype.model_identifier else None) or \
        jetsam_limits.model_for_device_type(device.device_type or device.name)
    return _jetsam_check(model, runtime_label(listing, device), f"{device.name} as {model}")


def _inspection_checks(args: argparse.Namespace, simctl, device) -> list[Check]:
    """heap, leaks and malloc_history as the simulator target runs them, on a process with stack logging.

    The process: --pid; else --app launched on the simulator with MallocStackLogging; else one the doctor
    starts itself (this Python, sleeping, with MallocStackLogging), so the check always runs on a Mac.
    """
    missing = [tool for tool in ("heap", "leaks", "malloc_history") if shutil.which(tool) is None]
    if missing:
        return [Check(tool, FAIL, f"no '{tool}' on PATH (it ships with macOS)", "run on macOS with Xcode installed")
                for tool in missing]
    from ..targets.simctl import Simctl
    from ..targets.simulator import SimulatorTarget
    from ..values import Profile

    pid, launched, child = args.pid, None, None
    if pid is None and args.app:
        if simctl is None or device is None:
            return [Check("heap/leaks", SKIP, f"needs a simulator to launch {args.app} on")]
        try:
            simctl.boot(device.udid)
            pid = simctl.launch(device.udid, args.app, env={"MallocStackLogging": "1"})
            launched = args.app
        except IosMemError as exc:
            return [Check("heap/leaks", FAIL, f"cannot launch {args.app} to inspect it: {exc}",
                          f"install it: xcrun simctl install {device.udid} path/to/MyApp.app")]
    if pid is None:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"],
                                 env={**os.environ, "MallocStackLogging": "1"})
        pid = child.pid
    what = launched or ("a process the doctor started" if child else f"pid {pid}")
    target = SimulatorTarget(simctl or Simctl(), device.udid if device else "host", Profile("simulator", "doctor", "-"),
                             artifacts_dir=tempfile.mkdtemp(prefix="iosmem-doctor-"))
    try:
        app = target.attach(pid)
        return [_tool_check("heap", what, lambda: target.class_histogram(app), lambda r: f"{len(r)} classes"),
                _leaks_check(what, lambda: target.leaks_report(app)),
                _tool_check("malloc_history", what, lambda: target.allocation_stacks(app),
                            lambda g: f"{len(g.stacks)} allocation stacks"),
                _warning_check(target, app, launched)]
    finally:
        if launched and simctl is not None and device is not None:
            simctl.terminate(device.udid, launched)
        if child is not None:
            child.kill()
            child.wait()


def _warning_check(target, app, launched: str | None) -> Check:
    """A memory warning posted to the launched app, and whether its log confirms it arrived."""
    from ..errors import WarningUnconfirmed

    if not launched:
        return Check("memory warning", SKIP, "give --app BUNDLE_ID: a warning is posted to a simulator app")
    try:
        target.memory_warning(app)
    except WarningUnconfirmed as exc:
        return Check("memory warning", WARN, str(exc),
                     "reclaim checks will not run until the app's log shows the warning (UIKit logs 'Received "
                     "memory warning.'); check `xcrun simctl spawn booted log stream --process <App>` while "
                     "using Simulator's Debug > Simulate Memory Warning")
    except IosMemError as exc:
        return Check("memory warning", FAIL, str(exc), "update Xcode; `xcrun simctl help notify_post` must exist")
    return Check("memory warning", OK, f"posted to {launched} and confirmed by its log")


def _refusal_check(tool: str, what: str, exc: Exception) -> Check:
    said = str(exc)
    if ATTACH_REFUSED.search(said):
        return Check(tool, FAIL, f"macOS refused {tool} the process ({what}): {said}", ATTACH_FIX)
    if "is not debuggable" in said:
        return Check(tool, FAIL, f"cannot inspect {what}: {said}",
                     "build the app with the Debug configuration (signed with get-task-allow), not Release or "
                     "an archive; run as the user who launched the simulator")
    fix = "launch the app with MallocStackLogging=1 (the target does so when attribution is on)" \
        if tool == "malloc_history" else "check that the process runs and belongs to you"
    return Check(tool, FAIL, f"cannot inspect {what}: {said}", fix)


def _tool_check(tool: str, what: str, run_it: Callable[[], Any], summary: Callable[[Any], str]) -> Check:
    try:
        result = run_it()
    except (IosMemError, OSError) as exc:
        return _refusal_check(tool, what, exc)
    return Check(tool, OK, f"inspected {what}: {summary(result)}")


def _leaks_check(what: str, run_it: Callable[[], Any]) -> Check:
    try:
        outcome = run_it()
    except (IosMemError, OSError) as exc:
        return _refusal_check("leaks", what, exc)
    report = outcome.report
    found = f"{report.leaks} leak(s), {report.leaked_bytes} bytes"
    if report.restricted:  # scanned: the counts stand, the contents were hidden
        return Check("leaks", WARN, f"inspected {what} ({found}), but {report.restricted}",
                     "build the app with the Debug configuration (signed with get-task-allow) so leaks can "
                     "show the leaked blocks' contents; counts and roots are read either way")
    return Check("leaks", OK, f"inspected {what}: {found}")


def _simulator_wda_check(args: argparse.Namespace, device) -> Check:
    if args.xctestrun:
        if not os.path.exists(args.xctestrun):
            return Check("webdriveragent", FAIL, f"--xctestrun {args.xctestrun}: no such file",
                         "build it: xcodebuild build-for-testing -project WebDriverAgent.xcodeproj "
                         "-scheme WebDriverAgentRunner -destination 'generic/platform=iOS Simulator' "
                         "-derivedDataPath wda-build (docs/simulator.md)")
        if device is None:
            return Check("webdriveragent", SKIP, "needs a simulator to start on")
        if shutil.which("xcodebuild") is None:
            return Check("webdriveragent", SKIP, "needs xcodebuild")
        from ..targets.simulator import WdaRunner

        log = Path(tempfile.mkdtemp(prefix="iosmem-doctor-")) / "wda-xcodebuild.log"
        runner = WdaRunner(args.xctestrun, device.udid, log)
        try:
            runner.start()
            url = runner.url(args.wda_timeout)
            check = _wda_status_check(url, min(args.wda_timeout, 60.0))
            if check.status == OK:
                check.detail = f"started from {args.xctestrun} on {device.udid}: {check.detail}"
            return check
        except IosMemError as exc:
            return Check("webdriveragent", FAIL, str(exc),
                         "read the log; exit 65 usually means a build for another platform or a missing "
                         "simulator runtime (docs/simulator.md)")
        finally:
            runner.stop()
    if args.wda_url:
        return _wda_status_check(args.wda_url, 10.0)
    check = _wda_status_check(DEFAULT_WDA_URL, 3.0)  # a WebDriverAgent someone started on its default port
    if check.status == OK:
        return check
    return Check("webdriveragent", WARN, f"none answers at {DEFAULT_WDA_URL}/status; give --xctestrun PATH to "
                 "start one here, or --wda-url URL",
                 "UI tests need WebDriverAgent: build it once (docs/simulator.md, step 6)")


# -- device ----------------------------------------------------------------------------------------
def device_checks(args: argparse.Namespace,
                  probe: Callable[[str | None], Any] | None = None) -> list[Check]:
    from ..settings import parse_device_rsd, parse_device_tunneld
    from ..targets import device_adapter

    wda = _device_wda(args)  # first: sysmontap is then read while WebDriverAgent runs (pymobiledevice3 #1682)
    if probe is None:
        rsd, tunneld = parse_device_rsd(getattr(args, "device_rsd", None)), parse_device_tunneld(
            getattr(args, "device_tunneld", None))
        facts = device_adapter.doctor_probe(args.device_udid, rsd=rsd, tunneld=tunneld, app=getattr(args, "app", None))
    else:
        facts = probe(args.device_udid)
    venv_python = sys.executable
    checks: list[Check] = []
    later = ("device", "developer mode", "disk image", "connection", "sysmontap", "get-task-allow", "jetsam row")
    if facts.version is None:
        checks.append(Check("pymobiledevice3", FAIL, f"not importable by {venv_python} ({facts.import_problem})",
                            f"{venv_python} -m pip install '{device_adapter.REQUIREMENT}' (or install pytest-iosmem "
                            "with its [device] extra from your checkout)"))
        return checks + [Check(n, SKIP, "needs pymobiledevice3") for n in later] + wda
    if _version_tuple(facts.version)[:3] < MIN_PYMOBILEDEVICE3:
        checks.append(Check("pymobiledevice3", FAIL, f"{facts.version} is too old",
                            f"{venv_python} -m pip install -U '{device_adapter.REQUIREMENT}'"))
    else:
        checks.append(Check("pymobiledevice3", OK, f"{facts.version}"))
    device = _device_check(facts, args)
    checks.append(device)
    if device.status != OK:
        return checks + [Check(n, SKIP, "needs a paired device") for n in later[1:]] + wda
    checks.append(_developer_mode_check(facts))
    checks.append(_ddi_check(facts))
    checks.append(_connection_check(facts))
    checks.append(_sysmon_check(facts, wda[0]))
    checks.append(_entitlement_check(facts, getattr(args, "app", None)))
    checks.append(_jetsam_check(facts.product_type, facts.product_version,
                                f"{facts.product_type} on iOS {facts.product_version}"))
    return checks + wda


def _device_check(facts, args: argparse.Namespace) -> Check:
    trust = "unlock the device, tap 'Trust' on 'Trust This Computer?' and enter the passcode; then run again"
    if facts.list_problem:
        return Check("device", FAIL, facts.list_problem, "macOS runs usbmuxd itself; on Linux: apt-get install usbmuxd")
    if facts.udid is None:
        if not facts.connected:
            return Check("device", FAIL, "no device connected", "plug the iPhone in by USB and unlock it")
        return Check("device", FAIL, f"{len(facts.connected)} devices connected: {', '.join(facts.connected)}",
                     "choose one with --device-udid")
    if args.device_udid and facts.connected and args.device_udid not in facts.connected:
        return Check("device", FAIL, f"{args.device_udid} is not connected (seen: {', '.join(facts.connected)})",
                     "plug it in by USB, or check the UDID (iosmem devices)")
    if facts.pair_problem:
        return Check("device", FAIL, facts.pair_problem, trust)
    what = f"{facts.device_name or facts.udid} ({facts.product_type}, iOS {facts.product_version})"
    if not facts.paired:
        return Check("device", FAIL, f"{what} does not trust this computer", trust)
    return Check("device", OK, f"{what} paired and trusted")


def _developer_mode_check(facts) -> Check:
    if facts.developer_mode:
        return Check("developer mode", OK, "on")
    if facts.developer_mode is None:
        return Check("developer mode", WARN, f"could not be read: {facts.developer_mode_problem}",
                     "Settings > Privacy & Security > Developer Mode (iOS 16 and later)")
    return Check("developer mode", FAIL, "off",
                 "on the device: Settings > Privacy & Security > Developer Mode, restart, confirm. "
                 "`pymobiledevice3 amfi enable-developer-mode` works only on a device without a passcode "
                 "(it fails with DeviceHasPasscodeSetError)")


def _ddi_check(facts) -> Check:
    if facts.ddi_mounted:
        return Check("disk image", OK, "the developer disk image is mounted")
    if facts.ddi_mounted is None:
        return Check("disk image", WARN, f"could not be read: {facts.ddi_problem}",
                     f"{sys.executable} -m pymobiledevice3 mounter auto-mount")
    return Check("disk image", FAIL, "the developer disk image is not mounted",
                 f"{sys.executable} -m pymobiledevice3 mounter auto-mount (or open Xcode's Devices window once)")


def _connection_check(facts) -> Check:
    from ..targets.device_adapter import NO_TUNNEL_HINT

    if facts.route:
        return Check("connection", OK, f"reached through {facts.route}; Instruments (DVT) open")
    return Check("connection", FAIL, facts.route_problem or "the device target could not connect",
                 NO_TUNNEL_HINT if (_version_tuple(facts.product_version or "")[:1] or (0,))[0] >= 17
                 else "unlock the device and check the cable; then run again")


def _sysmon_check(facts, wda: Check) -> Check:
    if not facts.route:
        return Check("sysmontap", SKIP, "needs the connection")
    during = " while WebDriverAgent answered" if wda.status == OK else ""
    if facts.sysmon_rows is not None:
        return Check("sysmontap", OK, f"one sample read{during} ({facts.sysmon_rows} processes)")
    return Check("sysmontap", FAIL, f"{facts.sysmon_problem or 'no sample'}{during}",
                 "sysmontap is reported to return no data while an XCUITest session runs on the device "
                 "(pymobiledevice3 issue #1682): stop WebDriverAgent and run again to tell; then report it"
                 if during else "mount the developer disk image and run again")


def _entitlement_check(facts, app: str | None) -> Check:
    if not app:
        return Check("get-task-allow", SKIP, "give --app BUNDLE_ID to check your app's entitlement")
    if facts.get_task_allow:
        return Check("get-task-allow", OK, f"{app} is development-signed (get-task-allow)")
    fix = "build and install the app with a development signing identity (Debug configuration), not an " \
          "App Store, Ad Hoc or TestFlight build"
    if facts.get_task_allow is None:
        return Check("get-task-allow", WARN, f"could not be read: {facts.get_task_allow_problem}", fix)
    return Check("get-task-allow", FAIL, f"{app} has no get-task-allow: the memory graph and stack logging need it",
                 fix)


def _device_wda(args: argparse.Namespace) -> list[Check]:
    if args.wda_url:
        return [_wda_status_check(args.wda_url, 10.0)]
    return [Check("webdriveragent", WARN, "not checked: give --wda-url URL",
                  "UI tests need WebDriverAgent on the device (docs/device.md, step 8), and Settings > Developer "
                  "> Enable UI Automation on (not readable from here: WebDriverAgent answering shows it)")]
