"""Signals at random moments of a real run with UI taps: does the run always stop, and cleanly?

Each trial starts ``pytest`` on a small suite against the reference app (a real
WebDriverAgent-speaking process) driven by facebook-wda: two gated tests that tap
(``Session.tap``, whose bare ``except:`` swallowed Ctrl-C) inside ``iosmem.iterations()``,
with ``--iosmem-update-baselines`` and the JSON, Markdown and HTML reports, so signals
also land in the end-of-run writes.  It sends one signal (SIGINT, SIGTERM or SIGHUP) at a
moment drawn uniformly (seeded) between the end of ``pytest_configure`` (where the plugin
installs its handlers: before it, pytest is still starting and nothing is launched) and
the end of an unsignalled run, then checks:

- the run stopped (within 60 s of the signal);
- its exit status is non-zero;
- the JSON report exists and is marked interrupted (or the signal came after it was
  written: then the process ended by the signal or with status 2);
- the baselines are valid JSON, no ``*.tmp`` is left, no app process is left running.

    python bench/cancel_trials.py [--trials 20] [--seed 20] [--signals SIGINT,SIGTERM,SIGHUP]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_shutdown import live_members  # noqa: E402

SUITE = '''
import os
import pytest


def _record(iosmem):
    with open(os.environ["IOSMEM_TEST_PIDS"], "a") as fh:
        fh.write(f"{iosmem.app.pid}\\n")


@pytest.mark.iosmem(max_peak="300MB")
def test_taps(wda_session, iosmem):
    _record(iosmem)
    for _ in iosmem.iterations(4, warmup=1, max=4):
        for _ in range(40):
            wda_session.tap(10, 10)


@pytest.mark.iosmem(max_peak="300MB")
def test_screens(wda_session, iosmem):
    _record(iosmem)
    for _ in iosmem.iterations(4, warmup=1, max=4):
        wda_session(label="Clean").click()
        wda_session(label="Back").click()
'''


CONFTEST = '''
import time
import pytest


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    with open("configured", "w") as fh:  # after the plugin's own pytest_configure: handlers installed
        fh.write(repr(time.time()))
'''


def command(work: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_taps.py",
            "--iosmem-update-baselines", f"--iosmem-baselines={work / 'baselines'}",
            f"--iosmem-json={work / 'r.json'}", f"--iosmem-markdown={work / 'r.md'}",
            f"--iosmem-html={work / 'r.html'}", "--iosmem-settle-timeout=0.3", "--iosmem-objects=off"]


def trial(work: Path, sig: signal.Signals | None, at: float) -> dict:
    (work / "test_taps.py").write_text(SUITE)
    (work / "conftest.py").write_text(CONFTEST)
    env = {**os.environ, "IOSMEM_TEST_PIDS": str(work / "pids")}
    wall = time.time()
    started = time.monotonic()
    proc = subprocess.Popen(command(work), cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sent = None
    if sig is not None:
        while time.monotonic() - started < at and proc.poll() is None:
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(sig)
            sent = time.monotonic() - started
    try:
        out = proc.communicate(timeout=60)[0].decode(errors="replace")
        stopped = True
    except subprocess.TimeoutExpired:
        proc.kill()
        out = proc.communicate()[0].decode(errors="replace")
        stopped = False
    took = time.monotonic() - started
    pids = [int(x) for x in (work / "pids").read_text().split()] if (work / "pids").exists() else []
    time.sleep(0.2)
    left = [p for pgid in pids for p in live_members(pgid)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    report = work / "r.json"
    try:
        interrupted = json.loads(report.read_text())["interrupted"] if report.exists() else None
    except ValueError:
        interrupted = "corrupt"
    baselines_ok = True
    for f in (work / "baselines").rglob("*.json"):
        try:
            json.loads(f.read_text())
        except ValueError:
            baselines_ok = False
    tmps = [str(p) for p in work.rglob("*.tmp")]
    configured = float((work / "configured").read_text()) - wall if (work / "configured").exists() else None
    early = sent is not None and (configured is None or sent < configured)
    return {"sent": sent, "configured": configured, "early": early, "rc": proc.returncode, "took": took, "stopped": stopped, "left": left, "report": interrupted,
            "baselines_ok": baselines_ok, "tmps": tmps, "traceback": "Traceback" in out and "PytestUnraisableExceptionWarning" not in out,
            "unraisable": "PytestUnraisableExceptionWarning" in out, "tail": out[-600:]}


def ok(r: dict) -> bool:
    """Every promise of the issue for one signalled trial."""
    if r["sent"] is None:
        return True  # the run ended before the moment drawn: not a trial of a signal
    if r["early"]:  # pytest still starting: nothing launched, nothing to write; it must still stop non-zero
        return r["stopped"] and r["rc"] != 0 and not r["left"] and not r["tmps"]
    written = r["report"] is True or (r["report"] is False and r["rc"] not in (0, 1))  # after the writes
    return (r["stopped"] and r["rc"] != 0 and written and not r["left"] and not r["tmps"] and r["baselines_ok"]
            and not r["traceback"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--signals", default="SIGINT,SIGTERM,SIGHUP")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        ref = trial(Path(tmp), None, 0)
    length = ref["took"] * 0.95
    start = ref["configured"] or 0.3
    print(f"unsignalled run: {ref['took']:.1f}s (pytest_configure done at {start:.2f}s), exit {ref['rc']}")
    failures = 0
    for name in args.signals.split(","):
        sig = getattr(signal, name)
        counts: Counter = Counter()
        stops = []
        i = 0
        while counts["in scope"] < args.trials and i < 3 * args.trials:
            i += 1
            at = rng.uniform(start, length)
            with tempfile.TemporaryDirectory() as tmp:
                r = trial(Path(tmp), sig, at)
            if r["sent"] is None:
                counts["ended before the signal"] += 1
                continue
            good = ok(r)
            counts["ok" if good else "FAILED"] += 1
            if r["early"]:
                counts["before pytest_configure"] += 1
            else:
                counts["in scope"] += 1
            if r["unraisable"]:  # the first KeyboardInterrupt met a __del__: swallowed, the checkpoints stopped it
                counts["swallowed in a __del__"] += 1
            counts[f"exit {r['rc']}"] += 1
            counts["report interrupted" if r["report"] is True else "report before the signal" if r["report"] is False
                   else "no report"] += 1
            stops.append(r["took"] - r["sent"])
            if not good:
                failures += 1
                print(f"  {name} trial {i} at {at:.2f}s: {json.dumps({k: v for k, v in r.items() if k != 'tail'})}")
                print("    " + r["tail"].replace("\n", "\n    "))
        stops.sort()
        median = stops[len(stops) // 2] if stops else float("nan")
        print(f"{name}: {dict(counts)}; signal-to-exit median {median:.2f}s, max {max(stops, default=float('nan')):.2f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
