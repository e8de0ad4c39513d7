"""What one run adds to the history: :class:`RunInfo` (commit, branch, tag, date, host) and one
:class:`ResultRow` per test, read from the serialised results (``GateResult.to_dict``) — the
plugin's at the end of a run, a JSON report's on ``iosmem history import``."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = ["RunInfo", "ResultRow", "rows_from_results", "detect_run_info", "run_from_report", "now_utc", "METRICS"]

#: the per-test numbers the history keeps, by the name ``show`` and the creep gate use
METRICS = ("end", "peak", "leak", "reclaimed")


@dataclass(frozen=True)
class RunInfo:
    """One recorded run. ``run_key`` makes an append idempotent (a report imported twice is one run)."""

    created: str
    commit: str | None = None
    branch: str | None = None
    tag: str | None = None
    host: str | None = None
    source: str = "pytest"
    run_key: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class ResultRow:
    nodeid: str
    profile: str
    outcome: str | None
    end: int | None
    peak: int | None
    leak: float | None
    reclaimed: int | None
    ab: dict[str, Any] | None = None

    def value(self, metric: str) -> float | None:
        return {"end": self.end, "peak": self.peak, "leak": self.leak, "reclaimed": self.reclaimed}[metric]


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


def rows_from_results(results: Iterable[Mapping[str, Any]]) -> list[ResultRow]:
    """One row per serialised result; the last of a (test, profile) wins (an A/B re-run, a repeat)."""
    rows: dict[tuple[str, str], ResultRow] = {}
    for r in results:
        m = r.get("metrics") or {}
        leak = m.get("leak") or {}
        profile = (r.get("profile") or {}).get("key") or "unknown"
        row = ResultRow(
            nodeid=str(r["nodeid"]),
            profile=str(profile),
            outcome=r.get("outcome"),
            end=_int(m.get("end")),
            peak=_int(m.get("peak")),
            leak=None if not leak or leak.get("per_iteration") is None else float(leak["per_iteration"]),
            reclaimed=_int(m.get("reclaimed")),
            ab=r.get("ab"),
        )
        rows[(row.nodeid, row.profile)] = row
    return list(rows.values())


def _git(rootdir: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=rootdir, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def detect_run_info(rootdir: Path, host: str | None, env: Mapping[str, str] | None = None) -> RunInfo:
    """Commit, branch and tag of this run: ``IOSMEM_HISTORY_COMMIT/BRANCH/TAG``, then the CI's own
    variables (GitHub Actions, GitLab CI), then git in ``rootdir``; missing ones stay None."""
    env = os.environ if env is None else env
    commit = env.get("IOSMEM_HISTORY_COMMIT") or env.get("GITHUB_SHA") or env.get("CI_COMMIT_SHA")
    branch = env.get("IOSMEM_HISTORY_BRANCH") or env.get("CI_COMMIT_BRANCH")
    if not branch and env.get("GITHUB_REF_TYPE", "branch") == "branch":
        branch = env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME")
    tag = env.get("IOSMEM_HISTORY_TAG") or env.get("CI_COMMIT_TAG")
    if not tag and env.get("GITHUB_REF_TYPE") == "tag":
        tag = env.get("GITHUB_REF_NAME")
    if not (commit and branch) and (rootdir / ".git").exists():
        commit = commit or _git(rootdir, "rev-parse", "HEAD")
        head = _git(rootdir, "rev-parse", "--abbrev-ref", "HEAD")
        branch = branch or (head if head != "HEAD" else None)
        tag = tag or _git(rootdir, "describe", "--tags", "--exact-match")
    return RunInfo(created=env.get("IOSMEM_HISTORY_DATE") or now_utc(), commit=commit, branch=branch, tag=tag, host=host)


def run_from_report(path: Path, commit: str | None = None, branch: str | None = None,
                    tag: str | None = None) -> tuple[RunInfo, list[ResultRow]]:
    """A JSON report (``--iosmem-json``) as one run: its ``created`` date, its tests; keyed by the
    file's content, so importing the same report twice adds it once."""
    data = path.read_bytes()
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise ValueError(f"{path}: not a JSON report ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tests"), list):
        raise ValueError(f"{path}: not an iosmem JSON report (no 'tests' list)")
    tests = doc["tests"]
    hosts = {t.get("host") for t in tests if t.get("host")}
    info = RunInfo(
        created=str(doc.get("created") or now_utc()),
        commit=commit, branch=branch, tag=tag,
        host=hosts.pop() if len(hosts) == 1 else None,
        source=f"import:{path.name}",
        run_key="report:" + hashlib.sha256(data).hexdigest(),
    )
    return info, rows_from_results(t for t in tests if t.get("nodeid"))
