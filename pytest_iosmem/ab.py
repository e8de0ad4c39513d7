"""A/B mode: each gated test as paired trials of the base and the head build, judged on head − base.

``--iosmem-base-app`` names the base build (a command line on the local
target, the base build's bundle id on simulator/device); the usual
``--iosmem-app`` names the head.  For every test that uses ``iosmem``:

1. trials run in pairs, the order alternating (base-head, head-base, base-head,
   ...: ABBA blocks), so drift of the machine over the job hits both builds
   alike; every trial is a fresh launch of one build, with fresh
   function-scoped fixtures, driven by the same test body;
2. after the planned pairs (``--iosmem-ab-pairs PLANNED[:MAX]``, default 6:20),
   each metric's differences go to :func:`pytest_iosmem.paired.judge_shift`;
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

import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .paired import CLEAR, FINDING, INCONCLUSIVE, UNDECIDED, Decision, combine, judge_shift
from .units import UnitError, format_size, parse_percent

if TYPE_CHECKING:
    import pytest

    from .options import OptionReader
    from .run import IosMemRun

__all__ = ["ABPlan", "validate_ab_options", "run_ab", "trial_order", "decide", "ab_message"]

BASE, HEAD = "base", "head"


@dataclass(frozen=True)
class ABPlan:
    planned: int
    max_pairs: int


def validate_ab_options(reader: "OptionReader", relaunch: str, update_baselines: bool) -> tuple[ABPlan, float]:
    """The pairs plan and confidence; a UsageError names what cannot go with A/B mode."""
    if relaunch != "test":
        raise UsageError("--iosmem-base-app: A/B trials launch each build fresh; --iosmem-relaunch=session cannot be used")
    if reader("pid"):
        raise UsageError("--iosmem-base-app: A/B trials launch both builds; --iosmem-pid (attach) cannot be used")
    if update_baselines:
        raise UsageError("--iosmem-base-app: an A/B run compares two builds and stores no baseline; "
                         "drop --iosmem-update-baselines")
    raw = str(reader("ab_pairs") or "6:20").strip()
    planned_text, _, max_text = raw.partition(":")
    try:
        planned = int(planned_text)
        max_pairs = int(max_text) if max_text else max(planned, 20)
    except ValueError:
        raise UsageError(f"--iosmem-ab-pairs={raw!r}: write PLANNED[:MAX], e.g. 6:20") from None
    if planned < 1 or max_pairs < planned:
        raise UsageError(f"--iosmem-ab-pairs={raw!r}: PLANNED must be >= 1 and MAX >= PLANNED")
    conf_raw = reader("ab_confidence") or "95%"
    try:
        confidence = parse_percent(conf_raw)
    except UnitError as exc:
        raise UsageError(f"--iosmem-ab-confidence={conf_raw!r}: {exc}") from None
    if not 0.5 <= confidence < 1:
        raise UsageError(f"--iosmem-ab-confidence={conf_raw!r} must be at least 50% and below 100%")
    return ABPlan(planned, max_pairs), confidence


def trial_order(pair: int) -> tuple[str, str]:
    """ABBA blocks: pair 0 runs base then head, pair 1 head then base, and so on."""
    return (BASE, HEAD) if pair % 2 == 0 else (HEAD, BASE)


# -- the pure part: metrics of trials -> decisions ---------------------------------------------
METRICS = ("end", "peak", "leak", "reclaimed")


def trial_metrics(result: dict[str, Any] | None) -> dict[str, float | None]:
    m = (result or {}).get("metrics") or {}
    leak = m.get("leak") or {}
    return {
        "end": m.get("end"),
        "peak": m.get("peak"),
        "leak": leak.get("per_iteration") if leak else None,
        "reclaimed": m.get("reclaimed"),
    }


def _limit(metric: str, policy: dict[str, Any], base_values: list[float]) -> float | None:
    """How much head may exceed base: max_growth of the base's median (end, peak), the leak limit (leak)."""
    if metric in ("end", "peak"):
        growth = policy.get("max_growth")
        if not growth or not base_values:
            return None
        ref = statistics.median(base_values)
        parts = [0.0]
        if growth.get("fraction") is not None:
            parts.append(growth["fraction"] * ref)
        if growth.get("bytes") is not None:
            parts.append(float(growth["bytes"]))
        return max(parts)
    if metric == "leak":
        return policy.get("leak_per_iteration")
    return None  # reclaim: reported, not judged (the head's own reclaim check still runs)


def decide(pairs: list[tuple[dict, dict]], policy: dict[str, Any], planned: int, confidence: float,
           at_bound: bool = False) -> list[Decision]:
    """One decision per judged metric from ``(base metrics, head metrics)`` pairs."""
    decisions = []
    for metric in ("end", "peak", "leak"):
        usable = [(b[metric], h[metric]) for b, h in pairs if b.get(metric) is not None and h.get(metric) is not None]
        limit = _limit(metric, policy, [b for b, _ in usable])
        if limit is None or not usable:
            continue
        d = judge_shift(f"ab-{metric}", [h - b for b, h in usable], limit, planned, confidence,
                        describe=lambda x: format_size(x, signed=True))
        decisions.append(d.at_bound() if at_bound else d)
    return decisions


def summary(pairs: list[tuple[dict, dict]], decisions: list[Decision]) -> dict[str, dict[str, Any]]:
    """Per metric: base and head medians, the shift and its interval, the limit and the outcome."""
    by_check = {d.check: d for d in decisions}
    out: dict[str, dict[str, Any]] = {}
    for metric in METRICS:
        usable = [(b[metric], h[metric]) for b, h in pairs if b.get(metric) is not None and h.get(metric) is not None]
        if not usable:
            continue
        d = by_check.get(f"ab-{metric}")
        if d is None:
            from .paired import hl_interval, hodges_lehmann

            diffs = [h - b for b, h in usable]
            est, (lo, hi) = hodges_lehmann(diffs), hl_interval(diffs)
            dd: dict[str, Any] = {"estimate": est, "low": lo, "high": hi, "limit": None, "outcome": "reported", "p": None}
        else:
            dd = d.to_dict()
        finite = lambda x: x if x is not None and x not in (float("inf"), float("-inf")) else None  # noqa: E731
        out[metric] = {
            "base": statistics.median(b for b, _ in usable),
            "head": statistics.median(h for _, h in usable),
            "diff": dd["estimate"],
            "low": finite(dd["low"]),
            "high": finite(dd["high"]),
            "p": dd.get("p"),
            "limit": dd.get("limit"),
            "outcome": dd["outcome"],
            "pairs": len(usable),
        }
    return out


_NAMES = {"end": "end footprint", "peak": "peak footprint", "leak": "leak per iteration"}


def interval_text(row: dict[str, Any], confidence: float) -> str:
    """``95% interval [+2.9 MB, +3.0 MB]``, or why there is none."""
    if row.get("low") is None or row.get("high") is None:
        return f"no finite {confidence * 100:g}% interval yet"
    return (f"{confidence * 100:g}% interval [{format_size(row['low'], signed=True)}, "
            f"{format_size(row['high'], signed=True)}]")


def diff_text(metric: str, row: dict[str, Any]) -> str:
    """``+3.0 MB (+20.1%)``: the shift, and its share of the base for footprints."""
    pct = f" ({row['diff'] / row['base'] * 100:+.1f}%)" if row["base"] and metric != "leak" else ""
    return f"{format_size(row['diff'], signed=True)}{pct}"


def ab_message(metric: str, row: dict[str, Any], confidence: float) -> str:
    """``A/B end footprint: head 18.0 MB vs base 15.0 MB: +3.0 MB (+20.1%), 95% interval [...] over 6 pairs; ...``."""
    limit = "" if row.get("limit") is None else f"; limit {format_size(row['limit'], signed=True)}"
    p = "" if row.get("p") is None else f" (signed-rank p={row['p']:.3g})"
    return (f"A/B {_NAMES.get(metric, metric)}: head {format_size(row['head'])} vs base {format_size(row['base'])}: "
            f"{diff_text(metric, row)}, {interval_text(row, confidence)} over {row['pairs']} pairs{limit}{p}")


# -- the pytest part ------------------------------------------------------------------------------------
@dataclass
class Trial:
    build: str
    pair: int
    reports: list[Any] = field(default_factory=list)
    result: dict[str, Any] | None = None

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
        dead = [f["message"] for f in r.get("findings") or () if f["kind"] == "terminated"]
        if dead:  # the cause, before the body's error it led to (a dead app refuses connections)
            return dead[0]
        if r.get("body_error"):
            return f"the test body raised {r['body_error']}"
        return None

    def head_failed(self) -> bool:
        return any(rep.failed for rep in self.reports)

    def skipped(self) -> bool:
        """The body (or a fixture) skipped the test: it is reported skipped, not as either build's failure."""
        return any(rep.skipped and not hasattr(rep, "wasxfail") for rep in self.reports)


def _first_line(rep: Any) -> str:
    text = str(getattr(rep, "longreprtext", "") or rep.longrepr or rep.outcome)
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else text)[:300]


def _run_trial(item: "pytest.Item", run: "IosMemRun", build: str, pair: int, result_key: Any) -> Trial:
    from _pytest.runner import runtestprotocol

    RESULT_KEY = result_key
    run.build = build
    item._initrequest()  # fresh function-scoped fixtures (funcargs) for this trial
    item.user_properties = []
    if RESULT_KEY in item.stash:
        del item.stash[RESULT_KEY]
    try:
        reports = runtestprotocol(item, log=False, nextitem=item.parent)
    finally:
        run.build = HEAD
    return Trial(build, pair, list(reports), item.stash.get(RESULT_KEY, None))


def _app_name(run: "IosMemRun", build: str) -> str:
    if build == BASE:
        return run.base_app or "?"
    return run.option("app") or ("refapp" if run.target.kind == "local" else "?")


def run_ab(item: "pytest.Item", nextitem: "pytest.Item | None", run: "IosMemRun", result_key: Any) -> bool:
    """The ``pytest_runtest_protocol`` of one gated test in A/B mode; always handles the item.

    ``result_key`` is the plugin's stash key of a judged test's result (passed
    in, so this module does not import the plugin module: no import cycle).
    """
    from _pytest.runner import CallInfo

    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    plan, confidence = run.ab_plan, run.ab_confidence
    trials: list[Trial] = []
    pairs: list[tuple[dict, dict]] = []
    decisions: list[Decision] = []
    stop: Trial | None = None  # a trial that ended the loop by failing
    pair = 0
    while pair < plan.max_pairs:
        got: dict[str, Trial] = {}
        for build in trial_order(pair):
            t = _run_trial(item, run, build, pair, result_key)
            trials.append(t)
            got[build] = t
            if t.skipped() or (build == BASE and t.base_failure()) or (build == HEAD and t.head_failed()):
                stop = t
                break
        if stop is not None:
            break
        pairs.append((trial_metrics(got[BASE].result), trial_metrics(got[HEAD].result)))
        pair += 1
        if pair >= plan.planned:
            decisions = decide(pairs, _policy(got[HEAD].result), plan.planned, confidence)
            if not any(d.outcome == UNDECIDED for d in decisions):
                break
    else:
        decisions = decide(pairs, _policy(trials[-1].result), plan.planned, confidence, at_bound=True)
    # the real next item's teardown (higher-scoped fixtures), once
    final = CallInfo.from_call(lambda: item.session._setupstate.teardown_exact(nextitem), when="teardown")
    reports = _final_reports(item, run, trials, pairs, decisions, stop, confidence)
    if final.excinfo is not None:
        reports = [r for r in reports if r.when != "teardown"]
        reports.append(item.ihook.pytest_runtest_makereport(item=item, call=final))
    for rep in reports:
        item.ihook.pytest_runtest_logreport(report=rep)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _policy(result: dict[str, Any] | None) -> dict[str, Any]:
    return (result or {}).get("policy") or {}


def _final_reports(item, run, trials, pairs, decisions, stop, confidence) -> list[Any]:
    """The one set of reports logged for the test: the last head trial's, its call report carrying the A/B verdict."""
    if stop is not None and stop.skipped():
        return list(stop.reports)  # a skip is a skip, whichever build's trial it came in
    head_trials = [t for t in trials if t.build == HEAD]
    base_name, head_name = _app_name(run, BASE), _app_name(run, HEAD)
    if stop is not None and stop.build == HEAD:
        shown = stop
    else:
        shown = head_trials[-1] if head_trials else trials[-1]
    reports = list(shown.reports)
    call = shown.call
    result = dict(shown.result or {})
    rows = summary(pairs, decisions)
    # no judged metric (max_growth and leak_per_iteration off): nothing to decide, base and head are reported
    outcome = combine(decisions) if decisions else (CLEAR if stop is None else UNDECIDED)
    ab: dict[str, Any] = {
        "mode": "A/B",
        "base_app": base_name,
        "head_app": head_name,
        "pairs": len(pairs),
        "planned": run.ab_plan.planned,
        "max_pairs": run.ab_plan.max_pairs,
        "order": "ABBA",
        "confidence": confidence,
        "outcome": outcome,
        "metrics": rows,
        "trials": [{"build": t.build, "pair": t.pair, **trial_metrics(t.result)} for t in trials],
        "failed_build": None,
    }
    if stop is not None:
        ab["failed_build"] = stop.build
        ab["outcome"] = "base-failed" if stop.build == BASE else "head-failed"
    findings = list(result.get("findings") or [])
    notes = list(result.get("notes") or [])
    if stop is None and not decisions:
        notes.append("A/B: no metric was judged (max_growth and leak_per_iteration are off); base and head are reported")
    message = None
    if stop is not None and stop.build == BASE:
        why = stop.base_failure()
        message = (f"A/B: the base build ({base_name}) failed in pair {stop.pair + 1}: {why}\n"
                   f"  this is the base's failure, not the head's: the head ({head_name}) was not judged")
        findings = [{"kind": "base-failed", "message": message, "measured": None, "limit": None}]
    elif stop is None:
        for d in decisions:
            metric = d.check[3:]
            row = rows.get(metric)
            if row is None:
                continue
            line = ab_message(metric, row, confidence)
            if d.outcome == FINDING:
                findings.append({"kind": "growth", "message": line + ": regressed beyond the limit",
                                 "measured": row["diff"], "limit": row["limit"]})
            elif d.outcome == INCONCLUSIVE:
                text = f"{line}: inconclusive after {len(pairs)} pairs (the bound): {d.reason}"
                if str(run.option("inconclusive") or "warn").strip().lower() == "fail":
                    findings.append({"kind": "inconclusive", "message": text, "measured": row["diff"], "limit": row["limit"]})
                else:
                    notes.append(text)
        if any(f["kind"] in ("growth", "inconclusive") for f in findings):
            message = "\n".join(f["message"] for f in findings) + f"\n  base: {base_name}\n  head: {head_name}"
    else:
        notes.append(f"A/B: stopped after {len(pairs)} complete pair(s): the head build failed in pair {stop.pair + 1}")
    result.update(
        ab=ab,
        findings=findings,
        notes=notes,
        # the head trial's own sequential decisions (the leak verdict engine's, where present), then the A/B ones
        decisions=[*(d for d in result.get("decisions") or () if not str(d.get("check", "")).startswith("ab-")),
                   *(d.to_dict() for d in decisions)],
        baseline=None,
        baseline_origin=None,
    )
    if call is not None:
        if message is not None and call.passed:
            call.outcome = "failed"
            call.longrepr = message
        elif message is not None and stop is not None and stop.build == BASE:
            call.outcome = "failed"
            call.longrepr = message
        if call.failed:
            result["outcome"] = "failed"
        elif call.passed:
            result["outcome"] = "passed"
        if hasattr(call, "wasxfail") and call.failed:
            # an expected failure (a demonstration of a regression): shown as xfailed
            call.outcome = "skipped"
            result["outcome"] = "xfailed"
        call.iosmem = result
        from .results import verdict_label

        # JUnit properties (junitxml reads them from the reports): the head's numbers, the A/B verdict
        props = [p for p in call.user_properties if p[0] != "iosmem_verdict"]
        props += [("iosmem_verdict", verdict_label(result)), ("iosmem_ab", ab["outcome"]), ("iosmem_ab_pairs", len(pairs))]
        for metric, row in rows.items():
            props.append((f"iosmem_ab_{metric}_diff", round(row["diff"])))
        item.user_properties[:] = props
        for rep in reports:
            rep.user_properties = list(props)
    elif stop is not None and stop.build == BASE:
        # the base's set-up failed before any head trial: log the base trial's reports, said to be the base's
        reports = list(stop.reports)
        for rep in reports:
            if rep.failed:
                rep.longrepr = f"{message}\n{rep.longrepr}"
    return reports
