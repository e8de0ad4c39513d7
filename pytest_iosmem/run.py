"""State of one pytest run for the plugin: the target, the app, the store, the results.

Kept out of the hook module so the hooks stay thin and this logic can be
read (and tested) on its own.  One instance lives in ``config.stash``.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any, Callable

from typing import TYPE_CHECKING

from .errors import UsageError
from .options import LIMITS, OptionReader
from .policy import Policy, build_policy
from .settle import SettleConfig

if TYPE_CHECKING:  # imported lazily below: a run that gates nothing must not pay for them
    from .baseline import Baseline, BaselineStore
    from .measure import IosMem
    from .targets.base import App, AppSpec, Profile, Target

__all__ = ["IosMemRun"]


def _positive_float(reader: OptionReader, name: str) -> float:
    raw = reader(name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise UsageError(f"--iosmem-{name.replace('_', '-')}={raw!r} is not a number") from None
    if value <= 0:
        raise UsageError(f"--iosmem-{name.replace('_', '-')}={raw!r} must be positive")
    return value


def _count(reader: OptionReader, name: str, minimum: int) -> int:
    raw = reader(name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise UsageError(f"--iosmem-{name.replace('_', '-')}={raw!r} is not a whole number") from None
    if value < minimum:
        raise UsageError(f"--iosmem-{name.replace('_', '-')}={raw!r} must be at least {minimum}")
    return value


class IosMemRun:
    def __init__(self, reader: OptionReader, rootdir: Path, worker_id: str = "master", worker_count: int = 1) -> None:
        self.option = reader
        self.rootdir = rootdir
        self.worker_id = worker_id
        self.worker_count = worker_count
        from .hosts import this_host

        self.host = this_host()  # recorded in every result: which Mac ran the test
        self.controller_host: str | None = None  # set on an xdist worker (plugin.pytest_configure_node)
        self.lost_workers: list[str] = []  # xdist workers that went down mid-run (on the controller)
        self.results: list[dict[str, Any]] = []
        self.messages: list[str] = []  # for the terminal summary (baselines written, errors)
        self.failed_writes = False
        self._target: Target | None = None
        self._session_app: App | None = None
        # Validate the plain options up front, so a typo fails at start-up.
        self.interval = _positive_float(reader, "interval")
        self.wda_timeout = _positive_float(reader, "wda_timeout")
        self.settle = SettleConfig(interval=_positive_float(reader, "settle_interval"),
                                   window=_count(reader, "settle_window", 2),
                                   max_wait=_positive_float(reader, "settle_timeout"))
        self.iterations = _count(reader, "iterations", 1)
        self.warmup = _count(reader, "warmup", 0)
        self.relaunch = (reader("relaunch") or "test").strip().lower()
        if self.relaunch not in ("test", "session"):
            raise UsageError(f"--iosmem-relaunch={self.relaunch!r}: choose 'test' or 'session'")
        self.attribution = (reader("attribution") or "auto").strip().lower()
        if self.attribution not in ("auto", "on", "off"):
            raise UsageError(f"--iosmem-attribution={self.attribution!r}: choose auto, on or off")
        from .repeat import parse_repeat

        self.repeat = parse_repeat(reader("repeat"), self.warmup)
        self.objects = (reader("objects") or "auto").strip().lower()
        if self.objects not in ("auto", "on", "off"):
            raise UsageError(f"--iosmem-objects={self.objects!r}: choose auto, on or off")
        self.update_baselines = reader.flag("update_baselines")
        #: A/B mode (``--iosmem-base-app``): the base build's spec, and which build the next launch is
        self.base_app = (reader("base_app") or "").strip() or None
        self.build = "head"
        if self.base_app:
            from .ab import validate_ab_options

            self.ab_plan, self.ab_confidence = validate_ab_options(reader, self.relaunch, self.update_baselines)
        self.force_update = reader.flag("force_update")
        self.defaults = {opt.name: reader(opt.name) for opt in LIMITS}
        self.default_policy = build_policy(self.defaults, {}, "iosmem options")
        self.baselines_dir = self._path(reader("baselines") or "baselines")
        self._store: BaselineStore | None = None
        self.baseline_rule = self._baseline_rule(reader("baseline_profile") or "nearest")
        self.artifacts_dir = self._path(reader("artifacts") or "iosmem-artifacts")

    def _baseline_rule(self, value: str) -> str:
        """exact, nearest, or a profile key that must exist under the baselines directory."""
        rule = str(value).strip()
        if rule.lower() in ("exact", "nearest"):
            return rule.lower()
        if not rule or "/" in rule or "\\" in rule or rule in (".", ".."):
            raise UsageError(f"--iosmem-baseline-profile={value!r}: choose exact, nearest or a profile key")
        if not (self.baselines_dir / rule).is_dir():
            known = sorted(p.name for p in self.baselines_dir.iterdir() if p.is_dir()) if self.baselines_dir.is_dir() else []
            raise UsageError(
                f"--iosmem-baseline-profile={rule}: no directory {self.baselines_dir / rule} "
                f"(stored profiles: {', '.join(known) or 'none'}); or choose exact or nearest"
            )
        return rule

    def _path(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else self.rootdir / p

    @property
    def store(self) -> "BaselineStore":
        if self._store is None:
            from .baseline import BaselineStore

            self._store = BaselineStore(self.baselines_dir)
        return self._store

    # -- policy ----------------------------------------------------------------------
    def policy_for(self, nodeid: str, marker_kwargs: dict[str, Any]) -> Policy:
        return build_policy({}, marker_kwargs, nodeid, base=self.default_policy)

    # -- target and app ----------------------------------------------------------------
    @property
    def target(self) -> Target:
        if self._target is None:
            from .targets import TargetContext, create_target

            ctx = TargetContext(
                option=self.option,
                worker_id=self.worker_id,
                worker_count=self.worker_count,
                artifacts_dir=str(self.artifacts_dir),
                host=self.host,
            )
            self._target = create_target((self.option("target") or "local").strip().lower(), ctx)
        return self._target

    def app_spec(self) -> "AppSpec":
        from .targets.base import AppSpec

        env = {}
        for item in self.option("app_env") or []:
            key, sep, value = str(item).partition("=")
            if not sep or not key:
                raise UsageError(f"--iosmem-app-env={item!r}: write KEY=VALUE")
            env[key] = value
        app = self.base_app if self.build == "base" else self.option("app")
        if self.target.kind == "local":
            command = shlex.split(app) if app else None
            return AppSpec(command=command, env=env, name="refapp" if not app else "")
        if not app:
            raise UsageError(f"--iosmem-app: give the bundle id of the app to test on the {self.target.kind} target")
        return AppSpec(bundle_id=app, env=env, name=app)

    def acquire_app(self, args: list[str] | None = None, env: dict[str, str] | None = None) -> App:
        """The app for the next test: a fresh one, or the session's one if still alive.

        ``args``/``env`` come from a test's ``iosmem_app`` marker (launch
        arguments, feature flags); such a test always gets its own app.
        """
        target = self.target
        pid = self.option("pid")
        if pid:
            try:
                pid_value = int(pid)
            except ValueError:
                raise UsageError(f"--iosmem-pid={pid!r} is not a process id") from None
            app = self._session_app
            if app is None or target.poll_termination(app) is not None:
                app = self._session_app = target.attach(pid_value)
            return self._with_wda_url(app)
        spec = self.app_spec()
        if args or env:
            spec.args = [*spec.args, *(args or [])]
            spec.env = {**spec.env, **(env or {})}
            return self._with_wda_url(target.launch(spec))
        if self.relaunch == "session":
            app = self._session_app
            if app is None or target.poll_termination(app) is not None:
                app = self._session_app = target.launch(spec)
            return self._with_wda_url(app)
        return self._with_wda_url(target.launch(spec))

    def _with_wda_url(self, app: App) -> App:
        url = self.option("wda_url")
        if url:
            app.wda_url = url
        return app

    def measurement(
        self, target: "Target", app: "App", policy: "Policy | None", progress: "Callable[[str], None] | None" = None
    ) -> "IosMem":
        """The ``iosmem`` fixture object of one test, with this run's settings (sampling, settling,
        iteration counts, attribution: ``auto`` is on where it is cheap, the local target)."""
        from .measure import IosMem

        attribution = self.attribution == "on" or (self.attribution == "auto" and target.kind == "local")
        return IosMem(
            target,
            app,
            policy or self.default_policy,
            interval=self.interval,
            settle=self.settle,
            iterations=self.iterations,
            warmup=self.warmup,
            attribution=attribution,
            objects=self.objects,
            progress=progress,
        )

    def release_app(self, app: App) -> None:
        """End of a test: stop the app if it is per test (attached apps are never stopped)."""
        if app is self._session_app:
            return
        self.target.terminate(app)

    def close(self) -> None:
        if self._target is None:
            return
        try:
            if self._session_app is not None:
                # launched: stopped; attached (--iosmem-pid): never stopped, only released (fds closed)
                self._target.terminate(self._session_app)
        finally:
            self._target.close()

    # -- baselines -----------------------------------------------------------------------
    def baseline_for(self, profile: Profile, nodeid: str) -> Baseline | None:
        if self.base_app:  # A/B mode compares with the base build, never with a stored baseline
            return None
        return self.store.lookup(profile, nodeid, self.baseline_rule)

    def write_baselines(self) -> None:
        """At the end of the run, in the process that saw every result."""
        if not self.update_baselines:
            return
        from .errors import BaselineError
        from .results import baseline_candidate
        from .targets.base import Profile

        by_profile: dict[str, tuple[Profile, list[tuple[str, Baseline]]]] = {}
        refused = []
        for r in self.results:
            candidate = baseline_candidate(r, force=self.force_update)
            if candidate is None:
                refused.append(r["nodeid"])
                continue
            p = r["profile"]
            profile = Profile(p["kind"], p["model"], p["os"], p.get("name", ""))
            by_profile.setdefault(profile.key, (profile, []))[1].append((r["nodeid"], candidate))
        for profile, entries in by_profile.values():
            try:
                written = self.store.update(profile, entries)
            except BaselineError as exc:
                self.failed_writes = True
                self.messages.append(f"baselines NOT written: {exc}")
                continue
            for path in written:
                rel = os.path.relpath(path, self.rootdir)
                self.messages.append(f"baselines written: {rel}")
        for nodeid in refused:
            self.messages.append(
                f"baseline not updated for {nodeid}: it failed or broke a hard limit (use --iosmem-force-update to accept it)"
            )
