"""The simulator target: an iOS app on an iOS Simulator, from a macOS host.

A thin layer over Apple's tools, each call an argument list with a timeout:

- ``xcrun simctl`` finds, boots, installs, launches and terminates (:mod:`.simctl`);
- the app is a host process, so libproc's ``proc_pid_rusage`` reads its
  phys_footprint and lifetime peak (:func:`read_host_footprint`, the seam
  tests replace);
- the memory warning is what Simulator's menu posts (``simctl notify_post``,
  else ``simctl spawn <udid> notifyutil -p com.apple.UIKit.SimulatorMemoryWarning``),
  which exit 0 whether or not the app got it; so it counts only once the
  app's log shows it arrived (UIKit's "Received memory warning."), else it is
  :class:`~pytest_iosmem.errors.WarningUnconfirmed` and the reclaim check is
  not run (never a failure of a healthy app);
- "who allocated": ``heap PID`` class histograms (MallocStackLogging on when
  attribution is asked for), and ``leaks`` memgraphs diffed with
  ``leaks -diffFrom`` and an allowlist, raw outputs kept as artifacts;
- WebDriverAgent: a URL given by option or pool entry, or started here from a
  built ``.xctestrun`` (``xcodebuild test-without-building``), log kept.

Simulators enforce no jetsam limit, so the limit reported is the emulated
model's, from :mod:`pytest_iosmem.jetsam_limits`, or ``--iosmem-jetsam-limit``;
when neither is known the reason is said (a note event), never a guess.

With pytest-xdist each worker takes its own simulator: from
``--iosmem-simulator-pool`` (entries ``[HOST:]UDID[@WDA_URL]``, see
:mod:`.pool`: a worker takes a free entry of its own host, leased until it
ends), or a clone of one simulator per worker (``--iosmem-simulator-clone``),
deleted at the end; this works on any host an SSH gateway reaches.  Profiles are keyed by device type and runtime, never by
UDID, so every clone and pool member shares the same baselines.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import jetsam_limits
from ..errors import NotSupported, ParseError, TargetError, TargetUnavailable, UsageError, WarningUnconfirmed
from .host_tools import last_words, run_tool
from ..settings import parse_jetsam_limit
from . import TargetContext
from .base import App, AppSpec, Reading, TargetEvent, Termination
from ..values import ClassStat, JetsamLimit, Profile
from .catalog import SIMULATOR_OPTIONS
from .pool import Leases, parse_pool
from ..parsers.leaks import inspection_refused, restricted_note
from .simctl import Simctl

if TYPE_CHECKING:
    from ..parsers.leaks import LeakRoot, LeaksOutcome
    from ..attribution.stacks import Generation

__all__ = [
    "OPTIONS",
    "SimulatorTarget",
    "WdaRunner",
    "LeaksDiff",
    "create",
    "device_rows",
    "read_host_footprint",
    "tool_argv",
]

OPTIONS = SIMULATOR_OPTIONS

TOOL_TIMEOUT = 180.0  # heap/leaks on a big app take a while; a hung tool must not hang the run
WDA_START_TIMEOUT = 300.0  # a first test-without-building on a cold simulator takes minutes; bounded anyway
WDA_FIRST_PORT = 8100  # WebDriverAgent's own default port
WARNING_CONFIRM_TIMEOUT = 3.0  # seconds the app's log has to show a posted memory warning arrived


# -- footprint --------------------------------------------------------------------------------
def read_host_footprint(pid: int) -> Reading:
    """phys_footprint and lifetime peak of a host pid, from libproc (``proc_pid_rusage``).

    This is the seam tests replace (there is no libproc on Linux).  There is
    no fallback to the ``footprint`` tool: libproc is there on every Mac, and
    where libproc cannot read a process (another user's) ``footprint`` cannot
    either (it must then run as root, footprint(1)), so a fallback could never
    run where it would help.
    """
    from .libproc import read_footprint

    try:
        return read_footprint(pid)
    except TargetUnavailable as exc:
        raise TargetUnavailable(f"cannot read the app's footprint: libproc is not usable ({exc}); "
                                "the simulator target needs macOS") from None


def tool_argv(tool: str, pid: int | str, *, graph: str | None = None, diff_from: str | None = None) -> list[str]:
    """The exact command lines of the host tools this target runs (asserted by tests)."""
    if tool == "heap":
        return ["heap", str(pid)]
    if tool == "leaks":
        # leaks(1): "-outputGraph path" is two arguments; "-diffFrom=<memgraph>" is one.
        if diff_from:
            return ["leaks", f"-diffFrom={diff_from}", str(pid)]
        if graph:
            return ["leaks", "-outputGraph", graph, str(pid)]
        return ["leaks", str(pid)]
    raise ValueError(tool)


# -- WebDriverAgent from a built .xctestrun -------------------------------------------------------
@dataclass
class WdaRunner:
    """``xcodebuild test-without-building -xctestrun X -destination id=UDID``, its log kept.

    WebDriverAgent prints ``ServerURLHere->URL<-ServerURLHere`` when it
    serves; :meth:`url` waits for that line.  Stopped at the target's close.

    Where it listens (appium/WebDriverAgent ``FBConfiguration.m``,
    ``FBWebServer.m``): ``USE_IP`` picks the interface and the host printed,
    else the Mac's Wi-Fi address is printed; ``USE_PORT`` picks the port, else
    the first free one from 8100.  ``xcodebuild`` hands a ``TEST_RUNNER_<VAR>``
    variable to the test runner as ``<VAR>`` (man xcodebuild), so the runner
    gets ``TEST_RUNNER_USE_IP=127.0.0.1`` (the URL is the loopback one, not the
    Wi-Fi address) and, when given, ``TEST_RUNNER_USE_PORT`` (one port per
    parallel simulator).
    """

    xctestrun: str
    udid: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    port: int | None = None
    bind_ip: str = "127.0.0.1"

    @property
    def argv(self) -> list[str]:
        return ["xcodebuild", "test-without-building", "-xctestrun", self.xctestrun, "-destination", f"id={self.udid}"]

    @property
    def env(self) -> dict[str, str]:
        """What is added to xcodebuild's environment (the runner sees USE_IP / USE_PORT)."""
        env = {"TEST_RUNNER_USE_IP": self.bind_ip}
        if self.port is not None:
            env["TEST_RUNNER_USE_PORT"] = str(self.port)
        return env

    def start(self) -> None:
        if self.process is not None:
            return
        if not os.path.exists(self.xctestrun):
            raise UsageError(f"--iosmem-simulator-xctestrun {self.xctestrun!r}: no such file "
                             "(build it: xcodebuild build-for-testing -project WebDriverAgent.xcodeproj ...)")
        if shutil.which("xcodebuild") is None:
            raise TargetUnavailable("no 'xcodebuild' on PATH: starting WebDriverAgent needs Xcode")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            env={**os.environ, **self.env})

    def url(self, timeout: float) -> str:
        from ..parsers.xcodebuild import parse_wda_server_url

        deadline = time.monotonic() + timeout
        while True:
            text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
            found = parse_wda_server_url(text)
            if found:
                return found
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise TargetError(f"WebDriverAgent (xcodebuild) ended (exit {code}) before serving; "
                                  f"its log: {self.log_path}: {' | '.join(text.strip().splitlines()[-3:])}")
            if time.monotonic() >= deadline:
                raise TargetError(f"WebDriverAgent printed no ServerURLHere line within {timeout:g}s; "
                                  f"its log: {self.log_path}")
            time.sleep(0.25)

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)  # what Ctrl-C does: xcodebuild stops the test run cleanly
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# -- leaks -------------------------------------------------------------------------------------------
@dataclass
class LeaksDiff:
    """New leaks between two memgraphs, split by the allowlist, with the files behind them."""

    status: str  # clean | leaks (see parsers.leaks.interpret_exit)
    new_roots: list[LeakRoot] = field(default_factory=list)  # not matched by the allowlist
    allowed_roots: list[LeakRoot] = field(default_factory=list)
    before: str = ""
    after: str = ""
    raw: str = ""  # path of the saved diff output

    def describe(self) -> str:
        if not self.new_roots:
            extra = f" ({len(self.allowed_roots)} allowlisted)" if self.allowed_roots else ""
            return f"leaks: no new leak since warm-up{extra}; memgraphs {self.before}, {self.after}"
        from collections import Counter

        kinds = Counter((r.kind, r.type) for r in self.new_roots)
        listed = ", ".join(f"{t} x{n}" + (" (retain cycle)" if k == "CYCLE" else "") for (k, t), n in kinds.most_common(8))
        return (f"leaks: {len(self.new_roots)} new leak root(s) since warm-up: {listed}; "
                f"{len(self.allowed_roots)} allowlisted; diff {self.raw}; memgraphs {self.before}, {self.after}")


# -- the target -----------------------------------------------------------------------------------------
@dataclass
class _SimHandle:
    bundle_id: str
    histograms: int = 0
    memgraphs: list[str] = field(default_factory=list)


class SimulatorTarget:
    """The Target protocol over one simulator (see the module docstring)."""

    kind = "simulator"

    def __init__(
        self,
        simctl: Simctl,
        udid: str,
        profile: Profile,
        hardware_model: str | None = None,
        *,
        jetsam_override: int | None = None,
        app_path: str | None = None,
        clone_of: str | None = None,
        wda_url: str | None = None,
        attribution: bool = False,
        leaks: bool = False,
        leaks_allowlist: tuple[str, ...] = (),
        artifacts_dir: str | None = None,
        xctestrun: str | None = None,
        leases: Leases | None = None,
        wda_port: int | None = None,
        wda_start_timeout: float = WDA_START_TIMEOUT,
    ) -> None:
        self.leases = leases  # the pool lease of this simulator, dropped at close
        self.simctl = simctl
        self.udid = udid
        self._profile = profile
        self.hardware_model = hardware_model
        self.jetsam_override = jetsam_override
        self.app_path = app_path
        self.clone_of = clone_of
        self.default_wda_url = wda_url
        self.attribution = attribution
        self.leaks = leaks
        self.leaks_allowlist = tuple(leaks_allowlist)
        self.artifacts = Path(artifacts_dir or "iosmem-artifacts") / "simulator" / udid
        self.wda = WdaRunner(xctestrun, udid, self.artifacts / "wda-xcodebuild.log", port=wda_port) if xctestrun else None
        self.wda_start_timeout = wda_start_timeout
        self.leak_diffs: list[LeaksDiff] = []
        self._events: list[TargetEvent] = []
        #: seconds a posted memory warning has to show up in the app's log (see memory_warning)
        self.warning_confirm_timeout = WARNING_CONFIRM_TIMEOUT
        self._installed = False
        self._booted = False
        self._limit_noted = False

    # -- identity -----------------------------------------------------------------------------
    def profile(self) -> Profile:
        return self._profile

    def jetsam_limit(self) -> JetsamLimit | None:
        if self.jetsam_override is not None:
            return JetsamLimit(self.jetsam_override, "--iosmem-jetsam-limit (simulators enforce no limit)")
        return jetsam_limits.lookup(self.hardware_model or "", self._profile.os)

    def jetsam_limit_reason(self) -> str:
        """Where the limit comes from, or why there is none."""
        limit = self.jetsam_limit()
        if limit is not None:
            return f"jetsam limit of the emulated model: {limit.source}"
        return "jetsam headroom not checked: " + jetsam_limits.unknown_reason(self.hardware_model, self._profile.os)

    # -- lifecycle -----------------------------------------------------------------------------
    def _prepare(self) -> None:
        if not self._booted:
            self.simctl.boot(self.udid)
            self._booted = True
        if self.app_path and not self._installed:
            self.simctl.install(self.udid, self.app_path)
            self._installed = True
        if self.wda is not None:
            self.wda.start()
            # WebDriverAgent serves before the app starts: the runner's own launch takes the
            # foreground while it starts, and would otherwise hide the app under test.
            self.default_wda_url = self.wda.url(self.wda_start_timeout)

    def launch(self, spec: AppSpec) -> App:
        if not spec.bundle_id:
            raise UsageError("the simulator target launches apps by bundle id: give --iosmem-app BUNDLE_ID")
        self._prepare()
        env = dict(spec.env)
        if self.attribution:
            env.setdefault("MallocStackLogging", "1")  # heap/leaks can then name allocations by stack
        pid = self.simctl.launch(self.udid, spec.bundle_id, spec.args, env)
        self._note_limit()
        return App(pid, spec.name or spec.bundle_id, self.kind, wda_url=self.default_wda_url,
                   bundle_id=spec.bundle_id, handle=_SimHandle(spec.bundle_id))

    def attach(self, pid: int) -> App:
        self._note_limit()
        return App(pid, f"pid {pid}", self.kind, wda_url=self.default_wda_url, launched=False, handle=_SimHandle(""))

    def attach_bundle(self, bundle_id: str, timeout: float = 0.0) -> App:
        """An app launched by someone else (WebDriverAgent): its host pid from launchd_sim's job list."""
        deadline = time.monotonic() + timeout
        while True:
            pid = self.simctl.app_pid(self.udid, bundle_id)
            if pid is not None:
                break
            if time.monotonic() >= deadline:
                raise TargetError(f"{bundle_id} is not running on simulator {self.udid} "
                                  f"(no UIKitApplication:{bundle_id} job in 'launchctl list')")
            time.sleep(0.5)
        self._note_limit()
        return App(pid, bundle_id, self.kind, wda_url=self.default_wda_url, bundle_id=bundle_id, launched=False,
                   handle=_SimHandle(bundle_id))

    def _note_limit(self) -> None:
        if not self._limit_noted:
            self._limit_noted = True
            self._events.append(TargetEvent("note", self.jetsam_limit_reason()))

    def read(self, app: App) -> Reading:
        return read_host_footprint(app.pid)

    def poll_termination(self, app: App) -> Termination | None:
        try:
            os.kill(app.pid, 0)
            return None
        except ProcessLookupError:
            return Termination("unknown", "the app's process ended (a crash or an exit: simulators enforce no "
                                          "jetsam limit; crash logs are in ~/Library/Logs/DiagnosticReports)")
        except PermissionError:
            return None  # it exists, owned by someone else

    def drain_events(self, app: App) -> list[TargetEvent]:
        events, self._events = self._events, []
        return events

    def memory_warning(self, app: App) -> None:
        """Post the warning, then look for the app's log line saying it arrived (polled, bounded)."""
        from datetime import datetime, timedelta

        since = (datetime.now() - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")  # the log's clock is the host's
        self.simctl.memory_warning(self.udid)
        deadline = time.monotonic() + self.warning_confirm_timeout
        why = f"no log line of pid {app.pid} mentions a memory warning within {self.warning_confirm_timeout:g}s"
        while True:
            try:
                line = self.simctl.memory_warning_evidence(self.udid, app.pid, since)
            except TargetError as exc:
                why = f"the simulator's log could not be read ({exc})"
                break
            if line is not None:
                self._events.append(TargetEvent("note", f"memory warning confirmed by the app's log: {line}"))
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        raise WarningUnconfirmed(f"a memory warning was posted to simulator {self.udid} but not confirmed: {why}; "
                                 "the reclaim check is not run")

    def terminate(self, app: App) -> Termination | None:
        if not (app.launched and app.bundle_id):
            return self.poll_termination(app)
        self.simctl.terminate(self.udid, app.bundle_id)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            ended = self.poll_termination(app)
            if ended is not None:
                return Termination("exit", "stopped by the test (simctl terminate)")
            time.sleep(0.05)
        return None

    def wda_url(self, app: App, timeout: float) -> str:
        if app.wda_url:
            return app.wda_url
        if self.wda is not None:
            app.wda_url = self.wda.url(timeout)
            return app.wda_url
        raise TargetError("no WebDriverAgent URL for this simulator: give --iosmem-wda-url http://127.0.0.1:8100, "
                          "a pool entry UDID@URL, or --iosmem-simulator-xctestrun to start WDA here")

    # -- who allocated -----------------------------------------------------------------------------
    def _artifact(self, name: str) -> Path:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        return self.artifacts / name

    def class_histogram(self, app: App) -> list[ClassStat]:
        """``heap PID``'s class table; raw output saved. Cannot inspect -> NotSupported, never zeros.

        With ``--iosmem-simulator-leaks``, a memgraph is saved at each call (the
        plugin calls at the first and last measured iteration) and the second
        call diffs them.
        """
        from ..parsers.heap import parse_heap

        handle = app.handle if isinstance(app.handle, _SimHandle) else _SimHandle(app.bundle_id or "")
        handle.histograms += 1
        proc = run_tool(tool_argv("heap", app.pid), TOOL_TIMEOUT)
        raw = self._artifact(f"heap-{app.pid}-{handle.histograms}.txt")
        raw.write_text(proc.stdout + ("\n--- stderr ---\n" + proc.stderr if proc.stderr else ""))
        refused = inspection_refused(proc.stdout, proc.stderr, "heap")
        if refused:
            raise NotSupported(f"{refused}; output in {raw}")
        if proc.returncode != 0:
            raise NotSupported(f"heap cannot inspect pid {app.pid} (exit {proc.returncode}): {last_words(proc)}; "
                               f"output in {raw}")
        try:
            report = parse_heap(proc.stdout)
        except ParseError as exc:
            raise NotSupported(f"{exc}; output in {raw}") from None
        if not report.rows:
            raise NotSupported(f"heap printed an empty class table for pid {app.pid}; output in {raw}")
        if self.leaks:
            self._leaks_step(app, handle)
        return report.classes

    def allocation_stacks(self, app: App) -> "Generation":
        """``malloc_history PID -allBySize`` on the live app: its live allocations by stack (docs/stacks.md).

        Needs the app launched with MallocStackLogging (done when attribution
        is on); raw output kept as an artifact; the tool's failure is NotSupported.
        """
        from .malloc_history import read_generation

        handle = app.handle if isinstance(app.handle, _SimHandle) else _SimHandle(app.bundle_id or "")
        return read_generation(app.pid, self._artifact(f"malloc_history-{app.pid}-{handle.histograms + 1}.txt"))

    def _leaks_step(self, app: App, handle: _SimHandle) -> None:
        try:
            handle.memgraphs.append(self.save_memgraph(app, f"iteration-{handle.histograms}"))
            if len(handle.memgraphs) >= 2:
                diff = self.diff_memgraphs(handle.memgraphs[0], handle.memgraphs[-1])
                self.leak_diffs.append(diff)
                self._events.append(TargetEvent("note", diff.describe(), {
                    "leaks_new": len(diff.new_roots), "memgraphs": [diff.before, diff.after], "leaks_diff": diff.raw}))
        except (NotSupported, TargetError) as exc:
            self._events.append(TargetEvent("note", f"leaks check did not run: {exc}"))

    def leaks_report(self, app: App) -> LeaksOutcome:
        """``leaks PID`` as a :class:`~pytest_iosmem.parsers.leaks.LeaksOutcome` (raw output saved).

        Absolute counts on real apps are dominated by system frameworks; prefer
        :meth:`diff_memgraphs`.  The tool's own failure raises NotSupported; a
        restricted ("not debuggable") process keeps its counts, with the note
        in ``report.notes``.
        """
        from ..parsers.leaks import LeaksOutcome, interpret_exit, parse_leaks

        proc = run_tool(tool_argv("leaks", app.pid), TOOL_TIMEOUT)
        raw = self._artifact(f"leaks-{app.pid}.txt")
        raw.write_text(proc.stdout + ("\n--- stderr ---\n" + proc.stderr if proc.stderr else ""))
        refused = inspection_refused(proc.stdout, proc.stderr)
        if refused:  # nothing was scanned
            raise NotSupported(f"{refused}; output in {raw}")
        status = interpret_exit(proc.returncode)
        if status == "failed":
            raise NotSupported(f"leaks cannot inspect pid {app.pid} (exit {proc.returncode}): {last_words(proc)}")
        try:
            return LeaksOutcome(status, proc.returncode, parse_leaks(proc.stdout, proc.stderr), proc.stderr)
        except ParseError as exc:
            raise NotSupported(f"{exc}; output in {raw}") from None

    def failure_artifacts(self, app: App, label: str) -> list[str]:
        """On a failed gate, with --iosmem-simulator-leaks: ``leaks -outputGraph`` (see FailureArtifacts)."""
        return [self.save_memgraph(app, f"failed-{label}")] if self.leaks else []

    def save_memgraph(self, app: App, label: str) -> str:
        """``leaks -outputGraph PATH PID``; returns the .memgraph path (an artifact)."""
        path = str(self._artifact(f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}-{app.pid}.memgraph"))
        proc = run_tool(tool_argv("leaks", app.pid, graph=path), TOOL_TIMEOUT)
        from ..parsers.leaks import interpret_exit

        refused = inspection_refused(proc.stdout, proc.stderr)
        if refused:  # nothing was scanned
            raise NotSupported(refused)
        if interpret_exit(proc.returncode) == "failed" or not os.path.exists(path):
            raise NotSupported(f"leaks could not save a memgraph of pid {app.pid} (exit {proc.returncode}): "
                               f"{last_words(proc)}")
        if restricted_note(proc.stdout, proc.stderr):  # the graph holds nodes and roots, not contents
            self._events.append(TargetEvent("note", f"memgraph {path}: {restricted_note(proc.stdout, proc.stderr)}"))
        return path

    def diff_memgraphs(self, before: str, after: str) -> LeaksDiff:
        """``leaks -diffFrom=BEFORE AFTER``: leaks new since BEFORE, minus the allowlist."""
        from ..parsers.leaks import interpret_exit, parse_leaks, split_allowed

        proc = run_tool(tool_argv("leaks", after, diff_from=before), TOOL_TIMEOUT)
        raw = self._artifact(f"leaks-diff-{Path(before).stem}-{Path(after).stem}.txt")
        raw.write_text(proc.stdout)
        refused = inspection_refused(proc.stdout, proc.stderr)
        if refused:
            raise NotSupported(f"{refused}; output in {raw}")
        status = interpret_exit(proc.returncode)
        if status == "failed":
            raise NotSupported(f"leaks -diffFrom failed (exit {proc.returncode}): {last_words(proc)}")
        try:
            report = parse_leaks(proc.stdout)
        except ParseError as exc:
            raise NotSupported(f"{exc}; output in {raw}") from None
        if report.unread_roots:  # "no new leak" would be a guess
            raise NotSupported(f"leaks -diffFrom counted {report.leaks} new leak(s) but printed no root line "
                               f"this parser reads; output in {raw}")
        kept, allowed = split_allowed(report.roots, self.leaks_allowlist)
        return LeaksDiff(status, kept, allowed, before, after, str(raw))

    def close(self) -> None:
        try:
            if self.wda is not None:
                self.wda.stop()
            if self.clone_of:
                self.simctl.shutdown(self.udid)
                self.simctl.delete(self.udid)
                self.clone_of = None
        finally:
            if self.leases is not None:
                self.leases.release()


# -- construction -------------------------------------------------------------------------------------
def _as_list(value: object, separators: str = r"[\s,]+") -> list[str]:
    """An option given as a list (ini linelist, repeated flag) or one string with separators."""
    if not value:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    return [part.strip() for item in items for part in re.split(separators, str(item)) if part.strip()]


def _wda_port(ctx: TargetContext) -> int | None:
    """The port of a WebDriverAgent started here: 8100 + the xdist worker index, so parallel ones never meet.

    One process (no xdist): None, WebDriverAgent takes the first free port from 8100 and prints it.
    """
    worker = ctx.worker_id
    if worker.startswith("gw") and worker[2:].isdigit():
        return WDA_FIRST_PORT + int(worker[2:])
    return None


def _float_option(ctx: TargetContext, name: str) -> float:
    try:
        return float(ctx.option(name) or 0)
    except (TypeError, ValueError):
        return 0.0


def create(ctx: TargetContext) -> SimulatorTarget:
    simctl = Simctl()
    wda_url = ctx.option("wda_url")
    udid = ctx.option("simulator_udid")
    pool = parse_pool(_as_list(ctx.option("simulator_pool")))
    leases = None
    if pool:
        leases = Leases()
        entry = leases.take(pool, ctx.host, ctx.worker_id)
        udid, wda_url = entry.udid, entry.wda_url or wda_url
    try:
        device, listing = simctl.pick(udid, ctx.option("simulator_name"), ctx.option("simulator_runtime"))
    except (TargetError, UsageError) as exc:
        if leases is not None:
            leases.release()
        if not (pool or ctx.worker_id != "master"):
            raise
        raise type(exc)(f"no usable simulator on host {ctx.host!r} (xdist worker {ctx.worker_id}): {exc}") from None
    override = parse_jetsam_limit(ctx.option("jetsam_limit"))
    dtype = listing.device_type_of(device)
    runtime = listing.runtime_of(device)
    from ..parsers.simctl import runtime_label

    attribution = str(ctx.option("attribution") or "").strip().lower() == "on"
    os_name = runtime.name if runtime and runtime.name else runtime_label(listing, device)
    if attribution:  # MallocStackLogging adds to the footprint: its baselines are not the untraced app's
        os_name = f"{os_name}-stacks"
    profile = Profile("simulator", device.device_type or device.name, os_name, name=dtype.name if dtype else device.name)
    model = (dtype.model_identifier if dtype and dtype.model_identifier else None) or \
        jetsam_limits.model_for_device_type(device.device_type or device.name)
    clone_of = None
    target_udid = device.udid
    if ctx.flag("simulator_clone") and ctx.worker_id != "master":
        try:
            target_udid = simctl.clone(device.udid, f"{device.name} iosmem {ctx.worker_id}")
        except TargetError as exc:
            raise type(exc)(f"cannot clone a simulator on host {ctx.host!r} (xdist worker {ctx.worker_id}): {exc}") from None
        clone_of = device.udid
    return SimulatorTarget(
        simctl, target_udid, profile, model,
        jetsam_override=override,
        app_path=ctx.option("simulator_app"),
        clone_of=clone_of,
        wda_url=wda_url,
        attribution=attribution,
        leaks=attribution and ctx.flag("simulator_leaks"),
        leaks_allowlist=tuple(_as_list(ctx.option("simulator_leaks_allowlist"), r"[\n,]+")),
        artifacts_dir=ctx.artifacts_dir,
        xctestrun=ctx.option("simulator_xctestrun"),
        leases=leases,
        wda_port=_wda_port(ctx),
        wda_start_timeout=max(WDA_START_TIMEOUT, _float_option(ctx, "wda_timeout")),
    )


def device_rows() -> list[list[str]]:
    """Rows for ``iosmem devices``: every available simulator with the profile key it would use."""
    from ..parsers.simctl import runtime_label

    listing = Simctl().list()
    rows = []
    for d in listing.devices:
        if not d.available:
            continue
        runtime = runtime_label(listing, d)
        key = Profile("simulator", d.device_type or d.name, runtime).key
        rows.append(["simulator", d.udid, f"{d.name} ({runtime})", key, d.state])
    return rows
