"""A/B: paired base and head trials judged on head − base (pure).

One pair is a base trial and a head trial back to back, in ABBA order
(:func:`trial_order`), so drift of the machine hits both builds alike.  Per metric
the differences go to :func:`.paired.judge_shift`; :func:`decide` makes the
decisions, :func:`summary` the rows every report shows, and :func:`ab_findings`
turns them into findings and notes.  The trial protocol (launching, re-running the
body) is :mod:`pytest_iosmem.ab`.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from ..units import format_size
from .decision import CLEAR, FINDING, INCONCLUSIVE, Decision
from .findings import Finding
from .metrics import Metrics
from .paired import combine, hl_interval, hodges_lehmann, judge_shift

__all__ = [
    "BASE", "HEAD", "ABPlan", "ABStop", "ABSummary", "METRICS", "trial_order", "trial_metrics", "decide", "summary",
    "interval_text", "diff_text", "ab_message", "ab_findings", "ab_outcome",
]

BASE, HEAD = "base", "head"


@dataclass(frozen=True)
class ABPlan:
    planned: int
    max_pairs: int


def trial_order(pair: int) -> tuple[str, str]:
    """ABBA blocks: pair 0 runs base then head, pair 1 head then base, and so on."""
    return (BASE, HEAD) if pair % 2 == 0 else (HEAD, BASE)


METRICS = ("end", "peak", "leak", "reclaimed")


def trial_metrics(m: Metrics | None) -> dict[str, float | None]:
    """The metrics one trial contributes to its pair (None: the trial measured nothing)."""
    if m is None:
        return dict.fromkeys(METRICS)
    return {
        "end": m.end,
        "peak": m.peak,
        "leak": None if m.leak is None else m.leak.per_iteration,
        "reclaimed": m.reclaimed,
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
           at_bound: bool = False, max_pairs: int | None = None) -> list[Decision]:
    """One decision per judged metric from ``(base metrics, head metrics)`` pairs.

    ``max_pairs``: the bound of the sequential plan, so every look tests at its per-look level
    (:func:`.paired.judge_shift`); None judges one look at ``confidence``."""
    decisions = []
    for metric in ("end", "peak", "leak"):
        usable = [(b[metric], h[metric]) for b, h in pairs if b.get(metric) is not None and h.get(metric) is not None]
        limit = _limit(metric, policy, [b for b, _ in usable])
        if limit is None or not usable:
            continue
        d = judge_shift(f"ab-{metric}", [h - b for b, h in usable], limit, planned, confidence,
                        describe=lambda x: format_size(x, signed=True), max_steps=max_pairs)
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


@dataclass(frozen=True)
class ABStop:
    """A trial that ended the pairs early: which build, in which pair, and why (a base's failure)."""

    build: str
    pair: int
    why: str | None = None


@dataclass
class ABSummary:
    """What an A/B run says about one test (``result["ab"]`` in every report)."""

    base_app: str
    head_app: str
    pairs: int
    planned: int
    max_pairs: int
    confidence: float
    outcome: str
    metrics: dict[str, dict[str, Any]]
    trials: list[dict[str, Any]] = field(default_factory=list)
    failed_build: str | None = None
    mode: str = "A/B"
    order: str = "ABBA"

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "base_app": self.base_app, "head_app": self.head_app, "pairs": self.pairs,
            "planned": self.planned, "max_pairs": self.max_pairs, "order": self.order,
            "confidence": self.confidence, "outcome": self.outcome, "metrics": self.metrics,
            "trials": self.trials, "failed_build": self.failed_build,
        }


def ab_findings(
    summary_: ABSummary,
    decisions: list[Decision],
    stop: ABStop | None,
    inconclusive_fails: bool,
) -> tuple[list[Finding], list[str], str | None]:
    """The A/B findings and notes, and the message of a base that failed (else None).

    A base trial that failed is the base's failure (the head is not judged); a
    head trial that failed stops the pairs and keeps its own findings.
    """
    base_name, head_name, rows = summary_.base_app, summary_.head_app, summary_.metrics
    findings: list[Finding] = []
    notes: list[str] = []
    if stop is None and not decisions:
        notes.append("A/B: no metric was judged (max_growth and leak_per_iteration are off); base and head are reported")
    if stop is not None and stop.build == BASE:
        message = (f"A/B: the base build ({base_name}) failed in pair {stop.pair + 1}: {stop.why}\n"
                   f"  this is the base's failure, not the head's: the head ({head_name}) was not judged")
        return [Finding("base-failed", message)], notes, message
    if stop is not None:
        notes.append(f"A/B: stopped after {summary_.pairs} complete pair(s): the head build failed in pair {stop.pair + 1}")
        return findings, notes, None
    for d in decisions:
        metric = d.check[3:]
        row = rows.get(metric)
        if row is None:
            continue
        line = ab_message(metric, row, summary_.confidence)
        if d.outcome == FINDING:
            findings.append(Finding("growth", line + ": regressed beyond the limit", row["diff"], row["limit"]))
        elif d.outcome == INCONCLUSIVE:
            text = f"{line}: inconclusive after {summary_.pairs} pairs (the bound): {d.reason}"
            if inconclusive_fails:
                findings.append(Finding("inconclusive", text, row["diff"], row["limit"]))
            else:
                notes.append(text)
    return findings, notes, None


def ab_outcome(decisions: list[Decision], stop: ABStop | None) -> str:
    """One word for the A/B run: a decision outcome, or which build failed."""
    if stop is not None:
        return "base-failed" if stop.build == BASE else "head-failed"
    # no judged metric (max_growth and leak_per_iteration off): nothing to decide, base and head are reported
    return combine(decisions) if decisions else CLEAR
