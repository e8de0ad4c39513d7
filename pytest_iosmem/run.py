"""State of one pytest run for the plugin: the target, the app, the store, the results.

Kept out of the hook module so the hooks stay thin and this logic can be
read (and tested) on its own.  One instance lives in ``config.stash``.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import UsageError
from .options import OptionReader
from .settings import read_settings
from .verdict.ab import BASE, HEAD
from .verdict.policy import Policy, build_policy

if TYPE_CHECKING:  # imported lazily below: a run that gates nothing must not pay for them
    from .appium_glue import DriverLifecycle
    from .baseline import BaselineStore
    from .measure import IosMem
    from .repeat import Repeat
    from .targets.base import App, AppSpec, Target
    from .targets.launch import Launch
    from .values import Baseline, Profile

__all__ = ["IosMemRun"]


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
        #: the UDID an Appium session named, used when the target is made (see acquire_from_driver)
        self._session_udid: str | None = None
        #: every option, checked at once (a UsageError names each bad value)
        self.settings = read_settings(reader, reader.flag, rootdir)
        self._store: BaselineStore | None = None
        self._app_cwd: str | None = None
        self._base_bundles: dict[str, str] = {}  # simulator: the base .app given -> its installed copy's bundle id
        #: A/B on the local target: what each build launches, checked to differ only in the build
        self.ab_launches: dict[str, Launch] = {}
        self.ab_differences: list[str] = []
        if self.settings.base_app and self.settings.target == "local":
            self._plan_ab_launches()

    # the settings a hook or fixture reads often, by their plain names
    @property
    def interval(self) -> float:
        return self.settings.interval

    @property
    def wda_timeout(self) -> float:
        return self.settings.wda_timeout

    @property
    def repeat(self) -> "Repeat | None":
        return self.settings.repeat

    @property
    def update_baselines(self) -> bool:
        return self.settings.update_baselines

    @property
    def base_app(self) -> str | None:
        return self.settings.base_app

    @property
    def default_policy(self) -> Policy:
        assert self.settings.default_policy is not None  # read_settings raised otherwise
        return self.settings.default_policy

    @property
    def artifacts_dir(self) -> Path:
        return self.settings.artifacts_dir

    @property
    def store(self) -> "BaselineStore":
        if self._store is None:
            from .baseline import BaselineStore

            self._store = BaselineStore(self.settings.baselines_dir)
        return self._store

    # -- policy ----------------------------------------------------------------------
    def policy_for(self, nodeid: str, marker_kwargs: dict[str, Any]) -> Policy:
        return build_policy({}, marker_kwargs, nodeid, base=self.default_policy)

    # -- target and app ----------------------------------------------------------------
    @property
    def target(self) -> Target:
        if self._target is None:
            from .targets import TargetContext, create_target

            udid_option = f"{self.settings.target}_udid"
            session_udid = self._session_udid

            def option(name: str) -> Any:
                if name == udid_option and session_udid and not self.option(name):
                    return session_udid  # the device the user's Appium session drives
                return self.option(name)

            ctx = TargetContext(
                option=option,
                worker_id=self.worker_id,
                worker_count=self.worker_count,
                artifacts_dir=str(self.artifacts_dir),
                host=self.host,
            )
            self._target = create_target(self.settings.target, ctx)
        return self._target

    def _plan_ab_launches(self) -> None:
        """Both builds' launches from one neutral directory; refuse (or warn) when they differ beyond the build.

        ``--iosmem-base-app DIR`` (the base build's source): the head's command for both,
        each with its own ``PYTHONPATH``; a command: as given (:mod:`.targets.launch`).
        """
        import atexit
        import shutil
        import tempfile

        from .targets.launch import differences, plan_launch
        from .targets.local import REFAPP_COMMAND

        s = self.settings
        assert s.base_app is not None
        self._app_cwd = tempfile.mkdtemp(prefix="iosmem-app-")  # not the checkout: -m would import from it
        # removed by close(); also at exit, for a process that never launches (the xdist controller)
        atexit.register(shutil.rmtree, self._app_cwd, True)
        where = os.getcwd()
        head_argv = shlex.split(s.app) if s.app else list(REFAPP_COMMAND)
        base_words = shlex.split(s.base_app)
        try:
            if len(base_words) == 1 and os.path.isdir(os.path.join(where, os.path.expanduser(base_words[0]))):
                base_dir = os.path.abspath(os.path.join(where, os.path.expanduser(base_words[0])))
                # the head's code: the checkout of the running plugin (reference app), else the rootdir
                head_dir = str(Path(__file__).resolve().parents[1]) if not s.app else str(self.rootdir)
                # each build's code through a link of the same length: the path is in every code object
                links = os.path.join(self._app_cwd, ".builds")
                os.mkdir(links)
                os.symlink(base_dir, os.path.join(links, BASE))
                os.symlink(head_dir, os.path.join(links, HEAD))
                base = plan_launch(BASE, head_argv, self._app_cwd, where, {"PYTHONPATH": os.path.join(links, BASE)},
                                   own="PYTHONPATH", source=base_dir)
                head = plan_launch(HEAD, head_argv, self._app_cwd, where, {"PYTHONPATH": os.path.join(links, HEAD)},
                                   own="PYTHONPATH", source=head_dir)
            else:
                base = plan_launch(BASE, base_words, self._app_cwd, where, own="command arguments")
                head = plan_launch(HEAD, head_argv, self._app_cwd, where, own="command arguments")
        except ValueError as exc:
            raise UsageError(f"--iosmem-base-app={s.base_app!r}: {exc}") from None
        self.ab_launches = {BASE: base, HEAD: head}
        self.ab_differences = differences(base, head)
        if not self.ab_differences:
            return
        said = "\n".join(f"  - {d}" for d in self.ab_differences)
        launched = f"  base: {base.describe()}\n  head: {head.describe()}"
        if s.ab_launch == "refuse":
            raise UsageError(
                f"--iosmem-base-app: base and head would be launched differently in more than the build, so "
                f"head - base would measure that too:\n{said}\n{launched}\n"
                "Give the base build's source directory (--iosmem-base-app=../base: both builds then run the "
                "head's command with the same interpreter, each with its own PYTHONPATH), or accept the "
                "difference with --iosmem-ab-launch=warn."
            )
        self.messages.append(f"A/B WARNING: base and head were launched differently (--iosmem-ab-launch=warn):\n"
                             f"{said}\n{launched}")

    def app_spec(self, build: str = HEAD) -> "AppSpec":
        """What to launch for ``build`` (A/B mode: ``base`` is ``--iosmem-base-app``, else the head)."""
        from .targets.base import AppSpec

        settings = self.settings
        launch = self.ab_launches.get(build)
        if launch is not None:  # A/B on the local target: both builds launched alike, from one neutral directory
            return AppSpec(command=list(launch.command), env={**settings.app_env, **launch.env}, cwd=launch.cwd,
                           name="refapp" if build == HEAD and not settings.app else "")
        app = settings.base_app if build == BASE else settings.app
        env = dict(settings.app_env)
        if self.target.kind == "local":
            command = shlex.split(app) if app else None
            return AppSpec(command=command, env=env, name="refapp" if not app else "")
        if not app:
            raise UsageError(f"--iosmem-app: give the bundle id of the app to test on the {self.target.kind} target")
        if build == BASE:
            app = self._base_bundle_id(app)
        return AppSpec(bundle_id=app, env=env, name=app)

    def _base_bundle_id(self, base: str) -> str:
        """The base build's bundle id: as given, or that of its ``.app``/zip's copy installed beside the head."""
        from .targets.app_copy import is_app_source

        if base == self.settings.app:
            raise UsageError(f"--iosmem-base-app={base}: the same bundle id as --iosmem-app, so both trials would "
                             "launch one build; install the base under its own bundle id, or give its .app")
        if not is_app_source(base):
            return base
        if self.target.kind != "simulator":
            raise UsageError(
                f"--iosmem-base-app={base}: on a {self.target.kind} an app must be signed with a provisioning "
                "profile that covers its bundle id, so a re-signed copy cannot be made here: build, sign and install "
                "the base under its own bundle id (e.g. with a .base suffix) beside the head, and give that id")
        if base not in self._base_bundles:
            self._base_bundles[base] = self.target.install_base(base)  # type: ignore[attr-defined]
        return self._base_bundles[base]

    def acquire_app(self, args: list[str] | None = None, env: dict[str, str] | None = None, build: str = HEAD) -> App:
        """The app for the next test: a fresh one, or the session's one if still alive.

        ``args``/``env`` come from a test's ``iosmem_app`` marker (launch
        arguments, feature flags); such a test always gets its own app.
        ``build``: which build an A/B trial launches (its trial says).
        """
        target = self.target
        if self.settings.pid is not None:
            app = self._session_app
            if app is None or target.poll_termination(app) is not None:
                app = self._session_app = target.attach(self.settings.pid)
            return self._with_wda_url(app)
        spec = self.app_spec(build)
        if args or env:
            spec.args = [*spec.args, *(args or [])]
            spec.env = {**spec.env, **(env or {})}
            return self._with_wda_url(target.launch(spec))
        if self.settings.relaunch == "session":
            app = self._session_app
            if app is None or target.poll_termination(app) is not None:
                app = self._session_app = target.launch(spec)
            return self._with_wda_url(app)
        return self._with_wda_url(target.launch(spec))

    @property
    def has_target(self) -> bool:
        return self._target is not None

    def pick_target_kind(self, session: tuple[str, Any]) -> bool:
        """No --iosmem-target given: a session on a simulator or device (its UDID's shape) makes this
        run's target that kind; True when it did.  A session naming no such device leaves it local."""
        from .appium_glue import read_capabilities

        try:
            kind = read_capabilities(session[1].capabilities).device_kind
        except Exception:  # noqa: BLE001 - unreadable here: session_facts says why, on the local path
            kind = None
        if kind is None or self._target is not None:
            return False
        self.settings.target = kind
        return True

    def acquire_from_driver(self, driver: Any, fixture: str, build: str = HEAD) -> "tuple[App, DriverLifecycle]":
        """The app the user's Appium session drives (simulator/device), fresh per test by default.

        The session's capabilities say the bundle id and the UDID; the UDID picks the
        simulator or device of this worker's target (a session on another device is an
        error naming both).  Relaunch, A/B builds and memory warnings go through the
        driver's ``mobile:`` commands, the target's tools when it refuses; the app is
        attached (never stopped by the plugin) and the session is never quit.
        """
        from .appium_glue import DriverLifecycle, session_facts

        kind = self.settings.target
        facts = session_facts(driver, fixture, need_udid=True)
        if facts.device_kind and facts.device_kind != kind:
            raise UsageError(f"iosmem: the Appium session of fixture {fixture!r} drives a {facts.device_kind} "
                             f"({facts.udid}), but the target is --iosmem-target={kind}")
        if self._target is None:
            self._session_udid = facts.udid
        target = self.target
        current = getattr(target, "udid", None)
        if isinstance(current, str) and facts.udid and current.upper() != facts.udid.upper():
            raise UsageError(f"iosmem: the Appium session of fixture {fixture!r} drives {facts.udid}, but this "
                             f"worker's {kind} is {current} (one device per worker: give each worker's session its own)")
        lifecycle = DriverLifecycle(driver, target, facts.bundle_id)
        bundle = facts.bundle_id
        if build == BASE:
            if not self.settings.base_app:
                raise UsageError("--iosmem-base-app: give the base build's bundle id")
            bundle = self.settings.base_app
        if self.settings.relaunch == "test" or build == BASE or lifecycle.state(bundle) not in (3, 4):
            app = lifecycle.relaunch(bundle)
        else:
            app = lifecycle.find(bundle)
        app.launched = False  # the session's app: the plugin never stops it
        return self._with_wda_url(app), lifecycle

    def appium_capabilities(self, url: str) -> dict[str, Any]:
        """What the ``appium_driver`` fixture asks for: the app under test (the local app names its own
        bundle id in ``/status``; elsewhere ``--iosmem-app``) and the device the run names, if it does."""
        if self.settings.target == "local":
            from .wda_glue import wait_until_ready

            status = wait_until_ready(url, self.wda_timeout).get("value") or {}
            bundle = (status.get("refapp") or {}).get("bundleId") or self.settings.app
            return {"bundleId": bundle} if bundle else {}
        if not self.settings.app:
            raise UsageError("--iosmem-app: the appium_driver fixture opens a session on this bundle id; give it")
        caps: dict[str, Any] = {"bundleId": self.settings.app}
        udid = self.option(f"{self.settings.target}_udid")
        if udid:
            caps["udid"] = udid
        return caps

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

        s = self.settings
        attribution = s.attribution == "on" or (s.attribution == "auto" and target.kind == "local")
        return IosMem(
            target,
            app,
            policy or self.default_policy,
            interval=s.interval,
            settle=s.settle,
            iterations=s.iterations,
            warmup=s.warmup,
            attribution=attribution,
            objects=s.objects,
            progress=progress,
        )

    def release_app(self, app: App) -> None:
        """End of a test: stop the app if it is per test (attached apps are never stopped)."""
        if app is self._session_app:
            return
        self.target.terminate(app)

    def close(self) -> None:
        if self._app_cwd is not None:
            import shutil

            shutil.rmtree(self._app_cwd, ignore_errors=True)
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
        return self.store.lookup(profile, nodeid, self.settings.baseline_rule)

    def write_baselines(self) -> None:
        """At the end of the run, in the process that saw every result."""
        if not self.update_baselines:
            return
        from .errors import BaselineError
        from .results import baseline_candidate
        from .values import Profile

        by_profile: dict[str, tuple[Profile, list[tuple[str, Baseline]]]] = {}
        refused = []
        for r in self.results:
            try:
                candidate = baseline_candidate(r, force=self.settings.force_update)
            except BaselineError as exc:  # a value no baseline may hold (NaN, out of bounds): never written
                self.messages.append(f"baseline not updated for {r['nodeid']}: {exc}")
                continue
            if candidate is None:
                if r.get("outcome") == "skipped":  # nothing to accept: not a refusal
                    self.messages.append(f"baseline not updated for {r['nodeid']}: it was skipped")
                else:
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
