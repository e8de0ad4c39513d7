"""The local target: the app under test is a process on this host.

It is the embedded default: with no configuration it launches the bundled
reference app (``python -m pytest_iosmem.refapp``), a WebDriverAgent-speaking
process with deliberate leaks, so the whole gate runs on any Linux or macOS
machine.  Any other command works too (``--iosmem-app "./my-server --flag"``),
or an already running process (``--iosmem-pid``).

What iOS does, done honestly on a host process:
- footprint: Linux ``/proc/PID/status`` (see :mod:`.procfs`), macOS
  ``proc_pid_rusage`` phys_footprint (see :mod:`.libproc`);
- memory warning: a signal the app handles (SIGUSR1 by default);
- jetsam: with ``--iosmem-jetsam-limit``, the target SIGKILLs an app whose
  footprint passes the limit and reports ``jetsam: per-process-limit``, as
  iOS would (no signal handler runs, nothing is flushed).
"""

from __future__ import annotations

import collections
import json
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import NotSupported, ReadFailed, TargetError
from ..settings import parse_jetsam_limit, parse_signal, parse_stop_timeout
from . import TargetContext
from .catalog import LOCAL_OPTIONS
from .base import App, AppSpec, Reading, TargetEvent, Termination
from ..values import ClassStat, JetsamLimit, Profile

if TYPE_CHECKING:
    from ..attribution.stacks import Generation

__all__ = ["LocalTarget", "OPTIONS", "create", "REFAPP_COMMAND", "WDA_URL_RE"]

#: The line real WebDriverAgent prints in xcodebuild logs once it listens;
#: the reference app prints the same.
WDA_URL_RE = re.compile(r"ServerURLHere->(\S+?)<-ServerURLHere")

REFAPP_COMMAND = [sys.executable, "-m", "pytest_iosmem.refapp", "--port", "0"]

#: the environment variable the reference app reads to record allocation stacks, and the frames asked for
STACKS_ENV = "IOSMEM_ALLOCATION_STACKS"
STACK_FRAMES = 24

_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGABRT, signal.SIGFPE, signal.SIGTRAP}

OPTIONS = LOCAL_OPTIONS


@dataclass
class _LocalHandle:
    """Private to LocalTarget: how we talk to and watch one local process."""

    proc: subprocess.Popen | None
    reader: _FootprintSource
    command: list[str] = field(default_factory=list)
    output: collections.deque = field(default_factory=lambda: collections.deque(maxlen=40))
    url_seen: threading.Event = field(default_factory=threading.Event)
    output_ended: threading.Event = field(default_factory=threading.Event)
    jetsam_killed_at: int | None = None
    last_footprint: int | None = None
    termination: Termination | None = None
    events: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _FootprintSource:
    """The platform's footprint source for one pid: the documented seam of this target.

    Linux reads /proc/PID/status (kept open), macOS calls proc_pid_rusage;
    elsewhere psutil's RSS is the honest fallback.  Tests that stand in for
    the OS replace this object.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._proc_reader = None
        if sys.platform.startswith("linux"):
            from .procfs import ProcStatusReader

            self._proc_reader = ProcStatusReader(pid)

    def __call__(self) -> Reading:
        if self._proc_reader is not None:
            return Reading(self._proc_reader.read())
        if sys.platform == "darwin":
            from .libproc import read_footprint

            return read_footprint(self.pid)
        import psutil

        try:
            return Reading(int(psutil.Process(self.pid).memory_info().rss))
        except psutil.Error as exc:
            raise ReadFailed(str(exc)) from None

    def close(self) -> None:
        if self._proc_reader is not None:
            self._proc_reader.close()


def _wait_for_handler(pid: int, sig: int, timeout: float) -> str:
    """``caught``/``ignored`` once /proc says so, ``default`` after ``timeout``, ``gone``; ``unknown`` off Linux."""
    path = f"/proc/{pid}/status"
    if not os.path.exists("/proc/self/status"):
        return "unknown"
    bit = 1 << (sig - 1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path) as fh:
                masks = {k: int(v.split()[0], 16) for k, _, v in (ln.partition(":") for ln in fh)
                         if k in ("SigCgt", "SigIgn")}
        except (FileNotFoundError, ProcessLookupError):
            return "gone"
        except (OSError, ValueError):
            return "unknown"
        if masks.get("SigCgt", 0) & bit:
            return "caught"
        if masks.get("SigIgn", 0) & bit:
            return "ignored"
        if time.monotonic() >= deadline:
            return "default"
        time.sleep(0.02)


def _signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to the process group; False when no process is left in it."""
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:  # a member changed user (setuid): nothing more we may do
        return False


def _group_alive(pgid: int) -> bool:
    """Is a live (not zombie) process left in the group?

    Linux: a scan of /proc, because a zombie still "exists" for kill(2) and in
    a container whose PID 1 does not reap, orphaned zombies never go away.
    """
    if not os.path.isdir("/proc/self"):
        return _signal_group(pgid, 0)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def stop_process_group(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM the app's whole process group, SIGKILL what is left after ``timeout``; bounded.

    The app was started in its own session, so its pid is its process group
    id and everything it forked (``sh -c "server & worker"``) shares it,
    unless a child made its own session on purpose (a daemon: out of reach,
    like on iOS an app's extensions are not the app).  The group is signalled
    even after the leader exited: a wrapper that died first must not leave
    its grandchildren running.
    """
    pgid = proc.pid
    if proc.poll() is None or _group_alive(pgid):
        _signal_group(pgid, signal.SIGTERM)
        _signal_group(pgid, signal.SIGCONT)  # a stopped app (SIGSTOP) acts on SIGTERM only once it runs
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None and not _group_alive(pgid):
                break
            time.sleep(0.02)
        else:
            _signal_group(pgid, signal.SIGKILL)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:  # unkillable (uninterruptible sleep): give up, bounded
        pass
    # Group members that are not our children are reaped by init; wait (bounded) until they are gone.
    deadline = time.monotonic() + timeout
    while _group_alive(pgid) and time.monotonic() < deadline:
        _signal_group(pgid, signal.SIGKILL)
        time.sleep(0.02)


def refapp_runtime() -> str:
    """What runs the bundled reference app (``cpython3.11``): part of its profile key."""
    return f"{sys.implementation.name}{sys.version_info[0]}.{sys.version_info[1]}"


def describe_returncode(code: int) -> Termination:
    """Turn a Popen return code into a Termination."""
    if code < 0:
        sig = -code
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        reason = "crash" if sig in _CRASH_SIGNALS else "signal"
        return Termination(reason, f"killed by {name}", signal=sig)
    return Termination("exit", f"exited with code {code}", exit_code=code)


class LocalTarget:
    """A process on this host plays the iOS app."""

    kind = "local"

    def __init__(
        self,
        warning_signal: int = signal.SIGUSR1,
        jetsam_limit: int | None = None,
        stop_timeout: float = 3.0,
        runtime: str = "",
        stack_frames: int = 0,
    ) -> None:
        #: what the app itself runs on, part of the profile: the bundled reference
        #: app's footprint depends on the Python that runs it, like an iOS app's on iOS.
        self.runtime = runtime
        self.warning_signal = warning_signal
        self.enforced_limit = jetsam_limit
        self.stop_timeout = stop_timeout
        #: how long memory_warning() waits for the app to install its signal handler (Linux)
        self.handler_timeout = 10.0
        #: frames per allocation stack the app is asked to record (0: off); see allocation_stacks()
        self.stack_frames = stack_frames

    # -- identity ----------------------------------------------------------
    def profile(self) -> Profile:
        system = platform.system().lower()
        os_name = system
        if system == "darwin":
            os_name = "macos-" + ".".join(platform.mac_ver()[0].split(".")[:1])
        # The kernel release is left out on purpose: it changes with every CI
        # image update and would orphan baselines without changing the app.
        if self.runtime:
            os_name = f"{os_name}-{self.runtime}"
        if self.stack_frames:  # recording stacks costs memory: its baselines are not the untraced app's
            os_name = f"{os_name}-stacks"
        name = f"{platform.system()} {platform.machine()}" + (f", {self.runtime}" if self.runtime else "")
        # (not the host name: baselines are shared between machines and must not churn)
        return Profile("local", platform.machine() or "unknown", os_name, name=name)

    def jetsam_limit(self) -> JetsamLimit | None:
        if self.enforced_limit is None:
            return None
        return JetsamLimit(self.enforced_limit, "--iosmem-jetsam-limit (enforced by the local target)")

    # -- lifecycle -----------------------------------------------------------
    def launch(self, spec: AppSpec) -> App:
        command = list(spec.command or REFAPP_COMMAND) + list(spec.args)
        env = dict(os.environ)
        env.update(spec.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        from ..shutdown import die_with_parent

        if self.stack_frames:  # read by the reference app; other apps ignore it
            env.setdefault(STACKS_ENV, str(self.stack_frames))
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=spec.cwd,
                # Its own session and process group: Ctrl-C in pytest must not reach the app
                # first, and terminate() stops the whole group (a wrapper's children too).
                start_new_session=True,
                # Linux: the kernel kills the app if pytest dies without cleaning up (SIGKILL).
                preexec_fn=die_with_parent(),
            )
        except OSError as exc:
            raise TargetError(f"cannot start the app {shlex.join(command)!r}: {exc.strerror or exc}") from None
        handle = _LocalHandle(proc=proc, reader=_FootprintSource(proc.pid), command=command)
        app = App(
            pid=proc.pid,
            name=spec.name or os.path.basename(command[0]),
            target_kind=self.kind,
            bundle_id=spec.bundle_id,
            launched=True,
            handle=handle,
        )
        threading.Thread(target=self._pump_output, args=(app,), name=f"iosmem-app-{proc.pid}", daemon=True).start()
        return app

    def attach(self, pid: int) -> App:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise TargetError(f"--iosmem-pid={pid}: no such process") from None
        except PermissionError:
            pass  # it exists; reading may still fail, which the sampler reports
        handle = _LocalHandle(proc=None, reader=_FootprintSource(pid))
        return App(pid=pid, name=f"pid {pid}", target_kind=self.kind, launched=False, handle=handle)

    def last_output(self, app: App, lines: int = 10) -> list[str]:
        """The last lines the app printed (stdout and stderr), for a message about how it ended."""
        h: _LocalHandle = app.handle
        if h.proc is not None and h.proc.poll() is not None:
            h.output_ended.wait(1.0)  # the app is gone: let the output thread read what it left in the pipe
        return list(h.output)[-lines:]

    def _pump_output(self, app: App) -> None:
        """Drain the app's output (so it never blocks on a full pipe) and spot the WDA URL."""
        h: _LocalHandle = app.handle
        assert h.proc is not None and h.proc.stdout is not None
        for raw in h.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            h.output.append(line)
            if app.wda_url is None:
                m = WDA_URL_RE.search(line)
                if m:
                    app.wda_url = m.group(1)
                    h.url_seen.set()
        h.url_seen.set()  # EOF: wake anyone waiting; they check wda_url
        h.output_ended.set()

    # -- measuring -------------------------------------------------------------
    def read(self, app: App) -> Reading:
        h: _LocalHandle = app.handle
        reading = h.reader()
        h.last_footprint = reading.footprint
        limit = self.enforced_limit
        if limit is not None and reading.footprint > limit and h.jetsam_killed_at is None:
            self._jetsam_kill(app, reading.footprint)
        return reading

    def _jetsam_kill(self, app: App, footprint: int) -> None:
        h: _LocalHandle = app.handle
        with h.lock:
            if h.jetsam_killed_at is not None:
                return
            h.jetsam_killed_at = footprint
        try:
            os.kill(app.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        h.events.append(
            TargetEvent(
                "jetsam_kill",
                f"footprint {footprint} bytes passed the limit {self.enforced_limit} bytes",
                {"footprint": footprint, "limit": self.enforced_limit},
            )
        )

    def poll_termination(self, app: App) -> Termination | None:
        h: _LocalHandle = app.handle
        if h.termination is not None:
            return h.termination
        if h.proc is not None:
            code = h.proc.poll()
            if code is None:
                return None
            term = describe_returncode(code)
        else:
            try:
                os.kill(app.pid, 0)
                return None
            except ProcessLookupError:
                term = Termination("unknown", "the attached process is gone (exit status unknown)")
            except PermissionError:
                return None
        if h.jetsam_killed_at is not None:
            term = Termination(
                "jetsam",
                "jetsam: per-process-limit",
                signal=term.signal,
                last_footprint=h.jetsam_killed_at,
            )
        elif h.last_footprint is not None:
            term = Termination(term.reason, term.detail, term.exit_code, term.signal, h.last_footprint)
        h.termination = term
        return term

    def drain_events(self, app: App) -> list[TargetEvent]:
        h: _LocalHandle = app.handle
        if not h.events:
            return []
        with h.lock:
            out, h.events = h.events, []
        return out

    def memory_warning(self, app: App) -> None:
        """Send the warning signal, once the app handles it (Linux: waits, bounded, for its handler).

        The default action of SIGUSR1 is to terminate: sent before the app has
        installed its handler (right after launch), the "warning" would kill
        it.  On Linux /proc says whether the signal is caught; the target waits
        up to ``handler_timeout`` seconds for it and otherwise refuses, saying
        why.  Elsewhere it cannot know: the app must install its handler first.
        """
        state = _wait_for_handler(app.pid, self.warning_signal, self.handler_timeout)
        try:
            name = signal.Signals(self.warning_signal).name
        except ValueError:
            name = f"signal {self.warning_signal}"
        if state == "default":
            raise NotSupported(
                f"the app (pid {app.pid}) has no handler for {name} after {self.handler_timeout:g}s: sending it "
                "would kill the app (the signal's default action), so no memory warning was sent; install the "
                "handler at start-up or choose another signal (--iosmem-local-warning-signal)")
        if state == "gone":
            raise TargetError(f"cannot send a memory warning: process {app.pid} is gone")
        try:
            os.kill(app.pid, self.warning_signal)
        except ProcessLookupError:
            raise TargetError(f"cannot send a memory warning: process {app.pid} is gone") from None

    def terminate(self, app: App) -> Termination | None:
        h: _LocalHandle = app.handle
        if not app.launched or h.proc is None:
            h.reader.close()  # an attached app is never stopped; its /proc file is ours to close
            return self.poll_termination(app)
        stop_process_group(h.proc, self.stop_timeout)
        h.reader.close()
        if h.proc.stdout is not None:
            h.proc.stdout.close()  # the output thread ends at EOF; the pipe's fd is ours to close
        return self.poll_termination(app)

    # -- UI and attribution --------------------------------------------------
    def wda_url(self, app: App, timeout: float) -> str:
        if app.wda_url:
            return app.wda_url
        h: _LocalHandle = app.handle
        if h.proc is None:
            raise TargetError(f"pid {app.pid} was attached: give its WebDriverAgent URL with --iosmem-wda-url")
        deadline = time.monotonic() + timeout
        while app.wda_url is None and time.monotonic() < deadline:
            if h.url_seen.wait(min(0.05, max(0.0, deadline - time.monotonic()))) and app.wda_url is None:
                break  # output ended without the line
        if app.wda_url:
            return app.wda_url
        command = shlex.join(h.command)
        if h.url_seen.is_set():  # its output ended: it is exiting; let it finish so we can say how
            try:
                h.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        state = self.poll_termination(app)
        why = f"the app {state.describe()}" if state else f"no line 'ServerURLHere->URL<-ServerURLHere' within {timeout:g}s"
        tail = "\n".join(list(h.output)[-10:]) or "(no output)"
        raise TargetError(
            f"no WebDriverAgent URL from {command!r}: {why}. Give --iosmem-wda-url if the app serves WDA elsewhere.\n"
            f"last output:\n{tail}"
        )

    def class_histogram(self, app: App) -> list[ClassStat]:
        """Live objects by class from the reference app's debug endpoint."""
        if not app.wda_url:
            raise NotSupported("the local app announced no WDA URL, so there is no object table to ask")
        url = app.wda_url.rstrip("/") + "/iosmem/objects"
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                rows = json.load(resp).get("value") or []
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise NotSupported(f"{url} gave no object table ({exc})") from None
        return [ClassStat(str(r["class"]), int(r["count"]), int(r["bytes"])) for r in rows]

    def allocation_stacks(self, app: App) -> "Generation":
        """Live allocations by allocation stack, from the reference app's ``/iosmem/stacks``.

        Only the reference app serves them (tracemalloc, started because the
        target set ``IOSMEM_ALLOCATION_STACKS``); any other local app gets
        NotSupported saying so.
        """
        from ..attribution.stacks import generation_from_dict

        if not app.wda_url:
            raise NotSupported("allocation stacks are not available: the local app announced no WDA URL")
        url = app.wda_url.rstrip("/") + "/iosmem/stacks"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                value = json.load(resp).get("value")
        except urllib.error.HTTPError as exc:
            try:
                message = (json.load(exc).get("value") or {}).get("message") or str(exc)
            except (ValueError, AttributeError):
                message = str(exc)
            if "allocation stacks are off" in message:
                raise NotSupported("allocation stacks are recorded only with --iosmem-attribution=on (the reference "
                                   "app then runs tracemalloc, which costs memory and time: docs/stacks.md)") from None
            raise NotSupported(f"allocation stacks are not available for this app ({url}: {message}); "
                               "only the reference app records them") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise NotSupported(f"allocation stacks are not available for this app ({url}: {exc}); "
                               "only the reference app records them") from None
        try:
            return generation_from_dict(value, url)
        except ValueError as exc:
            raise TargetError(str(exc)) from None

    def close(self) -> None:
        pass


def create(ctx: TargetContext) -> LocalTarget:
    return LocalTarget(
        warning_signal=parse_signal(ctx.option("local_warning_signal") or "SIGUSR1"),
        jetsam_limit=parse_jetsam_limit(ctx.option("jetsam_limit")),
        stop_timeout=parse_stop_timeout(ctx.option("local_stop_timeout")),
        runtime="" if ctx.option("app") else refapp_runtime(),
        # stacks only when asked: tracemalloc costs the app memory and time ("auto" gives class histograms)
        stack_frames=STACK_FRAMES if str(ctx.option("attribution") or "").strip().lower() == "on" else 0,
    )
