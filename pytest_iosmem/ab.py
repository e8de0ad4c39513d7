"""A/B mode: each gated test as paired trials of the base and the head build, judged on head − base.

``--iosmem-base-app`` names the base build (a command line on the local
target, the base build's bundle id on simulator/device); the usual
``--iosmem-app`` names the head.  For every test that uses ``iosmem``:

1. trials run in pairs, the order alternating (base-head, head-base, base-head,
   ...: ABBA blocks), so drift of the machine over the job hits both builds
   alike; every trial is a fresh launch of one build, with fresh
   function-scoped fixtures, driven by the same test body;
2. after the planned pairs (``--iosmem-ab-pairs PLANNED[:MAX]``, default 6:20),
   each metric's differences go to the pure :mod:`pytest_iosmem.verdict.ab`;
   more pairs run while one is undecided, up to MAX; still undecided then:
   inconclusive (never a silent pass);
3. one report is logged for the test: failed when head − base exceeds a
   limit (``max_growth`` for the end and peak footprints, of the base's
   median; ``leak_per_iteration`` for the leak slope), with base, head, the
   difference and its interval in the message.

The head's own absolute checks (peak limit, jetsam headroom, a leak, a
memory warning's reclaim, the app dying) judge every head trial as in a plain
run.  A base trial that dies, whose body raises, or whose set-up fails is the
*base's* failure: the test is reported failed with that said, and the head is
not judged.  No stored baseline is read or written.

How a body is re-run: like pytest-rerunfailures, this module's
``pytest_runtest_protocol`` runs ``_pytest.runner.runtestprotocol(item,
log=False)`` once per trial and logs one set of reports at the end.
Between trials the item's fixture request is renewed and only the item's
own (function-scoped) fixtures are torn down: the trial's teardown is given
the item's parent as "next item"; the real next item's teardown runs once
after the last trial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .verdict.ab import (
    BASE, HEAD, ABStop, ABSummary, ab_findings, ab_outcome, decide, summary, trial_metrics, trial_order,
)
from .stash_keys import BUILD_KEY, RESULT_KEY
from .verdict.decision import UNDECIDED, Decision

if TYPE_CHECKING:
    import pytest

    from .results import GateResult
    from .run import IosMemRun

__all__ = ["run_ab"]

@dataclass
class Trial:
    build: str
    pair: int
    reports: list[Any] = field(default_factory=list)
    result: "GateResult | None" = None

    @property
    def call(self) -> Any:
        return next((r for r in self.reports if r.when == "call"), None)

    def base_failure(self) -> str | None:
        """Why a base trial counts as the base build failing (None: it measured normally)."""
        for rep in self.reports:
            if rep.when != "call" and rep.failed:
                return f"its {rep.when} failed: {_first_line(rep)}"
        r = self.result
        if r is None:
            return f"it measured nothing: {_first_line(self.call) if self.call else 'no call'}"
        dead = [f.message for f in r.verdict.findings if f.kind == "terminated"]
        if dead:  # the cause, before the body's error it led to (a dead app refuses connections)
            return dead[0]
        if r.body_error:
            return f"the test body raised {r.body_error}"
        return None

    def head_failed(self) -> bool:
        return any(rep.failed for rep in self.reports)

    def skipped(self) -> bool:
        """The body (or a fixture) skipped the test: it is reported skipped, not as either build's failure."""
        return any(rep.skipped and not hasattr(rep, "wasxfail") for rep in self.reports)

    def metrics(self) -> dict[str, float | None]:
        return trial_metrics(None if self.result is None else self.result.verdict.metrics)


def _first_line(rep: Any) -> str:
    text = str(getattr(rep, "longreprtext", "") or rep.longrepr or rep.outcome)
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else text)[:300]


def _run_trial(item: "pytest.Item", build: str, pair: int) -> Trial:
    """One launch of ``build`` driven by one run of the test body (its own function-scoped fixtures)."""
    from _pytest.runner import runtestprotocol

    item.stash[BUILD_KEY] = build  # the iosmem_app fixture launches this build
    item._initrequest()  # fresh function-scoped fixtures (funcargs) for this trial
    item.user_properties = []
    if RESULT_KEY in item.stash:
        del item.stash[RESULT_KEY]
    try:
        reports = runtestprotocol(item, log=False, nextitem=item.parent)
    finally:
        del item.stash[BUILD_KEY]
    return Trial(build, pair, list(reports), item.stash.get(RESULT_KEY, None))


def _app_name(run: "IosMemRun", build: str) -> str:
    if build == BASE:
        return run.base_app or "?"
    return run.settings.app or ("refapp" if run.target.kind == "local" else "?")


def _policy(result: "GateResult | None") -> dict[str, Any]:
    return {} if result is None else result.policy.to_dict()


def run_ab(item: "pytest.Item", nextitem: "pytest.Item | None", run: "IosMemRun") -> bool:
    """The ``pytest_runtest_protocol`` of one gated test in A/B mode; always handles the item."""
    from _pytest.runner import CallInfo

    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    plan, confidence = run.settings.ab_plan, run.settings.ab_confidence
    assert plan is not None  # read_settings makes one whenever --iosmem-base-app is given
    trials: list[Trial] = []
    pairs: list[tuple[dict, dict]] = []
    decisions: list[Decision] = []
    stop: Trial | None = None  # a trial that ended the loop by failing
    pair = 0
    while pair < plan.max_pairs:
        got: dict[str, Trial] = {}
        for build in trial_order(pair):
            t = _run_trial(item, build, pair)
            trials.append(t)
            got[build] = t
            if t.skipped() or (build == BASE and t.base_failure()) or (build == HEAD and t.head_failed()):
                stop = t
                break
        if stop is not None:
            break
        pairs.append((got[BASE].metrics(), got[HEAD].metrics()))
        pair += 1
        if pair >= plan.planned:
            decisions = decide(pairs, _policy(got[HEAD].result), plan.planned, confidence, max_pairs=plan.max_pairs)
            if not any(d.outcome == UNDECIDED for d in decisions):
                break
    else:
        decisions = decide(pairs, _policy(trials[-1].result), plan.planned, confidence, at_bound=True,
                             max_pairs=plan.max_pairs)
    # the real next item's teardown (higher-scoped fixtures), once
    final = CallInfo.from_call(lambda: item.session._setupstate.teardown_exact(nextitem), when="teardown")
    reports = _final_reports(item, run, trials, pairs, decisions, stop)
    if final.excinfo is not None:
        reports = [r for r in reports if r.when != "teardown"]
        reports.append(item.ihook.pytest_runtest_makereport(item=item, call=final))
    for rep in reports:
        item.ihook.pytest_runtest_logreport(report=rep)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _final_reports(item, run, trials, pairs, decisions, stop) -> list[Any]:
    """The one set of reports logged for the test: the last head trial's, its call report carrying the A/B verdict."""
    from .results import verdict_label
    from .verdict.findings import Verdict

    if stop is not None and stop.skipped():
        return list(stop.reports)  # a skip is a skip, whichever build's trial it came in
    settings = run.settings
    head_trials = [t for t in trials if t.build == HEAD]
    if stop is not None and stop.build == HEAD:
        shown = stop
    else:
        shown = head_trials[-1] if head_trials else trials[-1]
    reports = list(shown.reports)
    call = shown.call
    result = shown.result
    ab_stop = None if stop is None else ABStop(stop.build, stop.pair, stop.base_failure() if stop.build == BASE else None)
    ab = ABSummary(
        base_app=_app_name(run, BASE),
        head_app=_app_name(run, HEAD),
        pairs=len(pairs),
        planned=settings.ab_plan.planned,
        max_pairs=settings.ab_plan.max_pairs,
        confidence=settings.ab_confidence,
        outcome=ab_outcome(decisions, ab_stop),
        metrics=summary(pairs, decisions),
        trials=[{"build": t.build, "pair": t.pair, **t.metrics()} for t in trials],
        failed_build=None if stop is None else stop.build,
    )
    inconclusive_fails = str(run.option("inconclusive") or "warn").strip().lower() == "fail"
    found, notes, message = ab_findings(ab, decisions, ab_stop, inconclusive_fails)
    if result is not None:
        head = result.verdict
        findings = found if message is not None else [*head.findings, *found]
        result.verdict = Verdict(
            head.metrics,
            findings,
            [*head.notes, *notes],
            # the head trial's own sequential decisions (the leak verdict engine's), then the A/B ones
            [*(d for d in head.decisions if not d.check.startswith("ab-")), *decisions],
        )
        result.ab = ab
        result.baseline = None
        if stop is None and any(f.kind in ("growth", "inconclusive") for f in findings):
            message = "\n".join(f.message for f in findings) + f"\n  base: {ab.base_app}\n  head: {ab.head_app}"
    if call is not None:
        if message is not None and (call.passed or (stop is not None and stop.build == BASE)):
            call.outcome = "failed"
            call.longrepr = message
        if result is None:  # the trial measured nothing: its reports say why, there is no result to carry
            if hasattr(call, "wasxfail") and call.failed:
                call.outcome = "skipped"
            return reports
        if call.failed:
            result.outcome = "failed"
        elif call.passed:
            result.outcome = "passed"
        if hasattr(call, "wasxfail") and call.failed:
            # an expected failure (a demonstration of a regression): shown as xfailed
            call.outcome = "skipped"
            result.outcome = "xfailed"
        payload = result.to_dict()
        call.iosmem = payload
        # JUnit properties (junitxml reads them from the reports): the head's numbers, the A/B verdict
        props = [p for p in call.user_properties if p[0] != "iosmem_verdict"]
        props += [("iosmem_verdict", verdict_label(payload)), ("iosmem_ab", ab.outcome), ("iosmem_ab_pairs", len(pairs))]
        for metric, row in ab.metrics.items():
            props.append((f"iosmem_ab_{metric}_diff", round(row["diff"])))
        item.user_properties[:] = props
        for rep in reports:
            rep.user_properties = list(props)
    elif stop is not None and stop.build == BASE and message is not None:
        # the base's set-up failed before any head trial: log the base trial's reports, said to be the base's
        reports = list(stop.reports)
        for rep in reports:
            if rep.failed:
                rep.longrepr = f"{message}\n{rep.longrepr}"
    return reports
