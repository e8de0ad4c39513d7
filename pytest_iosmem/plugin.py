"""The pytest plugin: options, marker, fixtures and the hooks that turn measurements into outcomes.

Flow of one test (see docs/architecture.md):

1. collection: the ``iosmem`` marker's limits are parsed (a bad value stops
   the run as a usage error naming the test, key and value);
2. setup: ``iosmem_app`` launches (or reuses) the app, ``iosmem`` starts sampling;
3. call: the test body runs (``--iosmem-repeat``: ``pytest_pyfunc_call`` runs it
   as iterations, see repeat.py); then ``pytest_runtest_call`` hands the
   measurement to :func:`pytest_iosmem.conclude.conclude` (finish, judge,
   attribute, save evidence, build the result) and fails the test itself
   when a check fails;
4. report: the result rides on the call report (so pytest-xdist carries it
   to the controller), goes to JUnit via ``record_property`` and, at the
   end, to the summary table, the reports and — on purpose only — the baselines.
"""

from __future__ import annotations

import os
from typing import Any, Iterator

import pytest

from .errors import BaselineError, IosMemError, TargetError, UsageError
from .options import OptionReader, add_options
from .outcome import GateFailed
from .stash_keys import BUILD_KEY, LIFECYCLE_KEY, POLICY_KEY, RESULT_KEY, RUN_KEY


# -- set-up -------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "iosmem(max_peak=None, max_growth=None, leak_per_iteration=None, reclaim_after_warning=None, "
        "jetsam_headroom=None, noise_floor=None, trend_alpha=None, objects_per_iteration=None, objects_watch=None, "
        "objects_ignore=None, max_iterations=None, inconclusive=None): gate this test on the app's memory; "
        "sizes like '150MB', percentages like '8%', class-name patterns like ['*ViewController']. "
        "Implies the iosmem fixture.",
    )
    config.addinivalue_line(
        "markers",
        "iosmem_app(args=(), env=None): launch the app for this test with these extra launch arguments "
        "and environment (feature flags, fixtures); the test gets its own app.",
    )
    config.pluginmanager.register(_ResultCollector(config), "iosmem-results")
    from .shutdown import hold, install

    # SIGINT, SIGTERM and SIGHUP end the run alike, from now on (xdist controller and workers):
    # a cancelled job tears its fixtures down and writes its reports (see shutdown.py)
    if install():
        hold()  # until collection starts: pytest writes no report for a run interrupted before


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    from .shutdown import begin

    begin()  # a signal that came while pytest was starting stops the run here, with its reports


def _run(config: pytest.Config):
    """The run state, made on first use: a pytest run that gates nothing never imports it."""
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        from .run import IosMemRun

        workerinput = getattr(config, "workerinput", None)
        worker_id = workerinput["workerid"] if workerinput else "master"
        worker_count = int(workerinput.get("workercount", 1)) if workerinput else 1
        try:
            run = IosMemRun(OptionReader(config), config.rootpath, worker_id, worker_count)
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
        if workerinput:
            run.controller_host = workerinput.get("iosmem_controller_host")
        config.stash[RUN_KEY] = run
    return run


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist, on the controller: tell each worker the controller's host, so a worker on
    another Mac names its host beside the files it saves there."""
    from .hosts import this_host

    node.workerinput["iosmem_controller_host"] = this_host()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """pytest-xdist, on the controller: a worker went down mid-run (its host dropped out, its SSH
    session died). Its unfinished test has no result; say so, and mark the reports interrupted."""
    if error is None:
        return
    run = _run(node.config)
    from .hosts import gateway_host

    run.lost_workers.append(node.gateway.id)
    where = gateway_host(node.gateway.spec)
    run.messages.append(
        f"iosmem: worker {node.gateway.id}{f' (on {where})' if where else ''} went down mid-run ({error}); "
        "the test it was running has no result, the reports hold what the other workers measured"
    )


_OUR_FIXTURES = frozenset({"iosmem", "iosmem_app", "iosmem_target", "wda_client", "wda_session", "appium_driver",
                           "iosmem_appium_url"})


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # trylast: after -k/-m deselection, so a bad marker value on a test that will not run stops nothing
    for item in items:
        if not _OUR_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())):
            _run(config)  # validates the options now, before any test runs
        marker = item.get_closest_marker("iosmem")
        if marker is None:
            continue
        run = _run(config)
        if marker.args:
            raise pytest.UsageError(f"{item.nodeid}: the iosmem marker takes keyword arguments only, got {marker.args!r}")
        try:
            item.stash[POLICY_KEY] = run.policy_for(item.nodeid, dict(marker.kwargs))
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
        fixturenames = getattr(item, "fixturenames", None)
        if fixturenames is not None and "iosmem" not in fixturenames:
            fixturenames.append("iosmem")


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def iosmem_target(request: pytest.FixtureRequest):
    """The Target of this run (``--iosmem-target``), one per xdist worker."""
    run = _run(request.config)
    try:
        target, problem = run.target, None
    except IosMemError as exc:
        target, problem = None, f"iosmem target: {exc}"
    if problem:
        pytest.fail(problem, pytrace=False)
    yield target
    run.close()


@pytest.fixture
def iosmem_app(request: pytest.FixtureRequest):
    """The app under test, running: fresh per test by default (``--iosmem-relaunch``).

    On a simulator or device, a test with an Appium session (``--iosmem-driver-fixture``)
    measures the app that session drives (appium_glue.py); the target is made after the
    session said which device (so ``iosmem_target`` is asked for only afterwards).
    """
    run = _run(request.config)
    driver = _appium_session(request, run) if run.settings.target != "local" or _may_pick_kind(request, run) else None
    if driver is not None and run.settings.target == "local":
        driver = driver if run.pick_target_kind(driver) else None
    if driver is not None:
        yield from _attached_app(request, run, driver)
        return
    request.getfixturevalue("iosmem_target")
    marker = request.node.get_closest_marker("iosmem_app")
    args = [str(a) for a in marker.kwargs.get("args", ())] if marker else None
    env = {str(k): str(v) for k, v in (marker.kwargs.get("env") or {}).items()} if marker else None
    try:
        app, problem = run.acquire_app(args, env, build=request.node.stash.get(BUILD_KEY, "head")), None
    except IosMemError as exc:
        app, problem = None, f"iosmem: cannot start the app: {exc}"
    if problem:
        pytest.fail(problem, pytrace=False)
    yield app
    run.release_app(app)


def _appium_session(request: pytest.FixtureRequest, run):
    """The test's Appium session (the fixture ``--iosmem-driver-fixture`` names, else ``appium_driver``),
    or None when the test has none: a facebook-wda test, or a fixture of that name that is no session."""
    from .appium_glue import is_driver

    for name in (run.settings.driver_fixture, "appium_driver"):
        if name in request.fixturenames:
            driver = request.getfixturevalue(name)
            return (name, driver) if is_driver(driver) else None
    return None


#: fixtures that give the plugin's own (local) app: a session made on one of them is on the local target
_PLUGIN_APP = frozenset({"iosmem", "iosmem_app", "iosmem_appium_url", "appium_driver", "iosmem_target"})


def _may_pick_kind(request: pytest.FixtureRequest, run) -> bool:
    """No --iosmem-target given, no target made yet, and the test's session fixture does not depend
    on the plugin's local app: its session may say which kind of device it drives."""
    if run.settings.target_given or run.has_target:
        return False
    names = [n for n in (run.settings.driver_fixture,) if n in request.fixturenames]
    defs = getattr(getattr(request.node, "_fixtureinfo", None), "name2fixturedefs", {})
    seen: set[str] = set()
    while names:
        name = names.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in _PLUGIN_APP:
            return False
        for fixturedef in defs.get(name, ())[-1:]:
            names.extend(fixturedef.argnames)
    return len(seen) > 0


def _attached_app(request: pytest.FixtureRequest, run, session):
    """iosmem_app on simulator/device for an Appium test: the app its session drives."""
    name, driver = session
    try:
        app, lifecycle = run.acquire_from_driver(driver, name, build=request.node.stash.get(BUILD_KEY, "head"))
        problem = None
    except UsageError as exc:
        app, problem = None, str(exc)
    except IosMemError as exc:
        app, problem = None, f"iosmem: cannot find the app of the Appium session: {exc}"
    if problem:
        pytest.fail(problem, pytrace=False)
    request.getfixturevalue("iosmem_target")  # made by now, for the session's device; closed at the end
    request.node.stash[LIFECYCLE_KEY] = lifecycle
    yield app
    run.release_app(app)  # attached: never stopped; the session is the user's


def _local_lifecycle(request: pytest.FixtureRequest, run, target, app):
    """Local target: the plugin launched the app; an Appium session on it carries the lifecycle."""
    session = _appium_session(request, run)
    if session is None:
        return None
    from .appium_glue import DriverLifecycle, server_url, session_facts

    name, driver = session
    facts = session_facts(driver, name, need_udid=False)
    url, served = server_url(driver), _wda_url(run, target, app)
    if url and served and url.rstrip("/") != served.rstrip("/"):
        raise UsageError(f"iosmem: the Appium session of fixture {name!r} talks to {url}, but the app under test "
                         f"serves {served}: create it on the iosmem_appium_url fixture")
    return DriverLifecycle(driver, target, facts.bundle_id)


@pytest.fixture
def iosmem(request: pytest.FixtureRequest, iosmem_app):
    """Measures the app's footprint during the test; see :class:`pytest_iosmem.measure.IosMem`."""
    run = _run(request.config)
    item = request.node
    target = request.getfixturevalue("iosmem_target")
    lifecycle = item.stash.get(LIFECYCLE_KEY, None)
    if lifecycle is None and target.kind == "local":
        try:
            lifecycle, problem = _local_lifecycle(request, run, target, iosmem_app), None
        except (UsageError, IosMemError) as exc:
            lifecycle, problem = None, str(exc)
        if problem:
            pytest.fail(problem, pytrace=False)
    if lifecycle is not None:
        from .appium_glue import driver_target

        target = driver_target(target, lifecycle)
    mem = run.measurement(
        target, iosmem_app, item.stash.get(POLICY_KEY, None), progress=_progress_writer(request.config, item.nodeid)
    )
    if lifecycle is not None:
        mem.notes.extend(lifecycle.notes)  # a fallback to the target's tools is said in the test's notes
        lifecycle.notes = mem.notes
    from .baseline import NeighbourBaselineError

    stop = True
    try:
        mem.baseline = run.baseline_for(target.profile(), item.nodeid)
        problem = None
    except NeighbourBaselineError as exc:  # another profile's file: this test's lookup only, not the session
        problem, stop = f"iosmem: {exc}", False
        if run.update_baselines:  # an update run never compares: say so and measure
            mem.notes.append(f"{problem} (not compared: this run updates baselines)")
            problem = None
    except BaselineError as exc:
        problem = f"iosmem: {exc}"
    if problem:  # outside the except block, so the report shows one clear message
        mem.finish()
        if stop:
            request.session.shouldstop = problem
        pytest.fail(problem, pytrace=False)
    yield mem
    mem.finish()


@pytest.fixture
def wda_client(request: pytest.FixtureRequest, iosmem_target, iosmem_app):
    """A facebook-wda ``Client`` for the app's WebDriverAgent, once it answers (bounded wait)."""
    from .wda_glue import connect

    run = _run(request.config)
    try:
        return connect(_wda_url(run, iosmem_target, iosmem_app), run.wda_timeout)
    except TargetError as exc:
        problem = f"iosmem: {exc}"
    pytest.fail(problem, pytrace=False)


def _wda_url(run, target, app) -> str:
    """The app's WebDriverAgent URL: announced by the app or the options, else what the target learns."""
    return app.wda_url or target.wda_url(app, run.wda_timeout)


@pytest.fixture
def wda_session(request: pytest.FixtureRequest, wda_client, iosmem_target, iosmem_app):
    """A facebook-wda session bound to the app under test by its bundle id (running: not relaunched)."""
    from .wda_glue import bind_session

    run = _run(request.config)
    try:
        session = bind_session(_wda_url(run, iosmem_target, iosmem_app), iosmem_app.bundle_id, run.wda_timeout)
        problem = None
    except TargetError as exc:
        session, problem = None, f"iosmem: {exc}"
    if problem:
        pytest.fail(problem, pytrace=False)
    yield session
    from .shutdown import requested
    from .targets.process_state import app_state

    if requested() or app_state(iosmem_target, iosmem_app) is not None or _gone(iosmem_target, iosmem_app):
        return  # cancelled, or the app is stopped or dead: closing would wait for an answer that never comes
    try:
        session.close()  # bounded: wda_glue caps facebook-wda's HTTP timeout at --iosmem-wda-timeout
    except Exception:  # the app may be gone (that is reported by the gate, not here)
        pass


def _gone(target, app) -> bool:
    try:
        return target.poll_termination(app) is not None
    except Exception:  # noqa: BLE001 - cannot tell: try the close, which is bounded
        return False


@pytest.fixture
def iosmem_appium_url(request: pytest.FixtureRequest) -> str:
    """Where an Appium session for the app under test connects: on the local target the app itself
    (the reference app answers as an Appium server would), else ``--iosmem-appium-url``."""
    run = _run(request.config)
    if run.settings.target != "local":
        return run.settings.appium_url
    app = request.getfixturevalue("iosmem_app")
    target = request.getfixturevalue("iosmem_target")
    try:
        return _wda_url(run, target, app)
    except TargetError as exc:
        problem = f"iosmem: {exc}"
    pytest.fail(problem, pytrace=False)


@pytest.fixture
def appium_driver(request: pytest.FixtureRequest, iosmem_appium_url: str):
    """An Appium (XCUITest) session on the app under test, made by the plugin and quit after the test:
    for suites without a driver fixture of their own (needs the ``appium`` extra)."""
    from .appium_glue import open_driver

    run = _run(request.config)
    try:
        driver, problem = open_driver(iosmem_appium_url, run.appium_capabilities(iosmem_appium_url)), None
    except (UsageError, IosMemError) as exc:
        driver, problem = None, str(exc)
    if problem:
        pytest.fail(problem, pytrace=False)
    yield driver
    driver.quit()


def _progress_writer(config: pytest.Config, nodeid: str):
    """In verbose mode, long iteration loops print progress lines (capture suspended)."""
    if config.get_verbosity() < 1 or hasattr(config, "workerinput"):
        return None
    tr = config.pluginmanager.get_plugin("terminalreporter")
    capman = config.pluginmanager.get_plugin("capturemanager")
    if tr is None:
        return None

    def write(line: str) -> None:
        if capman is not None:
            with capman.global_and_fixture_disabled():
                tr.write_line(f"    iosmem: {line}")
        else:
            tr.write_line(f"    iosmem: {line}")

    return write


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """A/B mode (``--iosmem-base-app``): a gated test runs as paired base/head trials (see ab.py)."""
    run = item.config.stash.get(RUN_KEY, None)
    if run is None or not run.base_app or "iosmem" not in getattr(item, "fixturenames", ()):
        return None
    from .ab import run_ab

    return run_ab(item, nextitem, run)


# -- judging (conclude.py, over the verdict package) ----------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[Any]:
    mem = getattr(item, "funcargs", {}).get("iosmem")
    if mem is None:
        return (yield)
    from .conclude import conclude, junit_properties
    from .shutdown import requested

    error: BaseException | None = None
    try:
        result = yield
    except BaseException as exc:  # noqa: BLE001 - re-raised below, after recording
        error = exc
        result = None
    if requested() and not isinstance(error, KeyboardInterrupt):
        # the signal's KeyboardInterrupt was swallowed in the body (facebook-wda's bare except): it lands here
        error = KeyboardInterrupt(f"interrupted by {requested()}")
    judgement = conclude(mem, _run(item.config), item.nodeid, item.name, error)
    item.stash[RESULT_KEY] = judgement
    item.user_properties.extend(junit_properties(judgement.to_dict()))
    if isinstance(error, KeyboardInterrupt):
        # pytest makes no report for an interrupted call: keep what was measured directly.
        _run(item.config).results.append({**judgement.to_dict(), "outcome": "interrupted"})
    if error is not None:
        stopped = _stopped_app(mem, error)
        if stopped:
            raise GateFailed(f"{stopped}\n  the test stopped on: {_one_line(error)}", judgement.kinds) from None
        if judgement.terminated and not isinstance(error, (KeyboardInterrupt, pytest.skip.Exception)):
            # One line for the body's error (a WDA call that met the dead app), not its whole chain.
            said = _one_line(error)
            raise GateFailed(f"{judgement.failure_message()}\n  the test stopped on: {said}", judgement.kinds) from None
        raise error
    if judgement.failed:
        raise GateFailed(judgement.failure_message(), judgement.kinds)
    return result


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".splitlines()[0][:200]


def _stopped_app(mem, error: BaseException) -> str | None:
    """A body that failed while the app was stopped (SIGSTOP, a debugger) or a zombie: say so, not
    just "timed out" (a frozen app answers no WebDriverAgent call)."""
    if isinstance(error, (KeyboardInterrupt, pytest.skip.Exception)):
        return None
    from .targets.process_state import app_state

    state = app_state(mem.target, mem.app)
    if state is None:
        return None
    return f"iosmem: the app (pid {mem.app.pid}) is {state}: it answers nothing, so the test could not go on"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A checkpoint: a signal whose KeyboardInterrupt was swallowed stops the run before the next test."""
    from .shutdown import checkpoint

    checkpoint()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
    """After the fixtures are torn down (never raising inside them: the app must be stopped), a
    requested stop becomes ``session.shouldstop``."""
    try:
        return (yield)
    finally:
        from .shutdown import requested

        if requested():
            item.session.shouldstop = f"interrupted by {requested()}"


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """``--iosmem-repeat``: the body of a gated test runs as iterations (see repeat.py)."""
    mem = pyfuncitem.funcargs.get("iosmem")
    if mem is None:
        return None
    repeat = _run(pyfuncitem.config).repeat
    if repeat is None:
        return None
    from .repeat import run_repeated

    return run_repeated(pyfuncitem, mem, repeat)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[Any]:
    report = yield
    if call.when == "call":
        result = item.stash.get(RESULT_KEY, None)
        if result is not None:
            from .conclude import report_outcome

            # A plain attribute: pytest's report serialisation carries it to the xdist controller.
            report.iosmem = report_outcome(
                result.to_dict(), xfail=hasattr(report, "wasxfail"), skipped=report.skipped, outcome=report.outcome
            )
    return report


class _ResultCollector:
    """Gathers the results that ride on call reports, also those from xdist workers."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = getattr(report, "iosmem", None)
        if result is not None and report.when == "call":
            _run(self.config).results.append(result)


# -- end of run -----------------------------------------------------------------------------------
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from . import shutdown

    config = session.config
    if shutdown.requested():  # a swallowed or deferred signal: the run says "interrupted" whatever else happened
        session.exitstatus = pytest.ExitCode.INTERRUPTED
        shutdown.exit_status_set()
    if hasattr(config, "workerinput"):
        return
    if RUN_KEY not in config.stash:
        if not (config.getoption("iosmem_json") or config.getoption("iosmem_markdown") or config.getoption("iosmem_html")):
            return  # nothing was gated and no report was asked for
    from .reports.writers import report_paths, write_reports  # imports a writer only for a report asked for

    run = _run(config)
    paths = report_paths(run)
    pending = (["baselines"] if run.update_baselines else []) + [str(p) for p in paths.values()]
    # from here a first signal waits for the files; a second one ends at once, naming what is lost
    with shutdown.finishing(pending):
        run.write_baselines()
        shutdown.written("baselines")
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or bool(run.lost_workers) or bool(shutdown.requested())
        if run.settings.history:
            from .history.gate import finish_run

            said, failed = finish_run(run.settings, config.rootpath, run.host, run.results, interrupted)
            run.messages.extend(said)
            run.failed_writes = run.failed_writes or failed
        messages = write_reports(run, interrupted=interrupted, done=shutdown.written)
        if shutdown.requested() and not interrupted:  # it came during the writes: say so in the reports too
            messages = write_reports(run, interrupted=True)
        run.messages.extend(messages)
    if shutdown.requested():
        run.messages.append(f"iosmem: interrupted by {shutdown.requested()}: baselines and reports written first")
        session.exitstatus = pytest.ExitCode.INTERRUPTED
        shutdown.exit_status_set()
    elif run.failed_writes and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    from .shutdown import uninstall

    uninstall()  # a signal that came after the session's exit status was set ends the process by it


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if RUN_KEY not in config.stash or hasattr(config, "workerinput"):
        return
    run = _run(config)
    if not run.results and not run.messages:
        return
    from .reports.terminal import format_summary

    tr = terminalreporter
    tr.write_sep("-", "iosmem memory gates")
    if run.results:
        for line in format_summary(run.results, width=max(100, config.get_terminal_writer().fullwidth - 1)).splitlines():
            tr.write_line(line)
    for msg in run.messages:
        tr.write_line(msg)
    profile = run.results[0]["profile"] if run.results else None
    if profile:
        tr.write_line(f"profile: {profile['key']}  baselines: {os.path.relpath(run.store.root, config.rootpath)}")
