"""The gates across hosts through pytest-xdist's real SSH gateways (docs/scale.md).

Set-up (tests/sshd.py): an OpenSSH server started here on 127.0.0.1 at a free
port, key-based with a throwaway key, and an ssh_config with two host aliases,
``mac1`` and ``mac2``, that reach it; each alias sends ``IOSMEM_HOST`` so the
two workers are two "hosts" the way docs/scale.md tells a team to name its
Macs.  Workers are started exactly as on two Macs:
``--tx ssh=-F ssh_config mac1//python=<venv python>//chdir=<scratch>``, the
local target, the test paths in an ``@args`` file (docs/scale.md says why).

Skipped, with the reason, only where sshd or the ssh tools are missing or
sshd does not start (.ci/run installs openssh-server when it can).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import sshd as sshd_mod
from .helpers import FAST_SETTLE, NO_HYPOTHESIS, OWN_WORKERS, inner_conftest, memapp_command

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
RUN_TIMEOUT = 300  # generous: a hung run fails here instead of hanging the suite

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(OWN_WORKERS),
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds sshd session processes through /proc (Linux)")]


@pytest.fixture
def sshd(tmp_path):
    try:
        server = sshd_mod.start(tmp_path / "ssh")
    except sshd_mod.Unavailable as exc:
        pytest.skip(f"no SSH server for the gateway tests: {exc}")
    try:
        probe = server.ssh("mac1", "echo $IOSMEM_HOST")
        assert probe.returncode == 0 and probe.stdout.strip() == "mac1", (probe, server.log.read_text()[-2000:])
        yield server
    finally:
        server.stop()


def clean_env() -> dict[str, str]:
    """The outer run's pytest/xdist variables must not leak into the inner controller."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PYTEST_", "IOSMEM_")) and k != "GITHUB_STEP_SUMMARY"}


def controller(sshd, tmp_path: Path, tests: list[str], *extra: str) -> list[str]:
    """The controller's command line: two workers, one per "host", test paths in an @file."""
    args_file = tmp_path / "tests.args"
    args_file.write_text("\n".join(tests) + "\n")
    cmd = [PY, "-m", "pytest", "-p", "no:cacheprovider", *NO_HYPOTHESIS, "-d"]
    for host in sshd.hosts:
        scratch = tmp_path / f"{host}-xdist"  # where xdist copies pytest itself; not the checkout
        cmd += ["--tx", sshd.tx(host, PY, scratch)]
    return cmd + [f"@{args_file}", "-v", *extra]


# -- the example gates through two SSH workers ------------------------------------------------------------
EXAMPLES = [
    "test_screens.py::test_clean_screen_does_not_leak",
    "test_screens.py::test_home_screen_source_and_state",
    "test_screens.py::test_burst_is_a_peak_not_a_leak",
    "test_screens.py::test_purging_cache_gives_memory_back",
    "test_failure_demos.py::test_leaky_screen[Timer Detail]",  # xfail: findings + attribution travel too
]


def test_example_gates_on_two_ssh_workers_report_to_the_controller_which_alone_writes_baselines(sshd, tmp_path):
    from pytest_iosmem.values import Baseline
    from pytest_iosmem.baseline import BaselineStore
    from pytest_iosmem.targets import TargetContext
    from pytest_iosmem.targets.local import create

    # An entry from an earlier run that this run does not touch: it must survive the update.
    baselines = tmp_path / "baselines"
    profile = create(TargetContext(option=lambda name: None)).profile()
    seeded = Baseline(end=12_345_678, peak=23_456_789)
    BaselineStore(baselines).update(profile, [("test_screens.py::test_from_an_earlier_run", seeded)])
    report = tmp_path / "report.json"
    html = tmp_path / "report.html"
    cmd = controller(sshd, tmp_path, [str(ROOT / "examples" / t) for t in EXAMPLES],
                     f"--iosmem-baselines={baselines}", "--iosmem-update-baselines",
                     f"--iosmem-json={report}", f"--iosmem-html={html}")
    proc = subprocess.run(cmd, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
    out = proc.stdout
    assert proc.returncode == 0, out[-5000:] + proc.stderr[-2000:]

    # both gateways ran tests ...
    assert "[gw0]" in out and "[gw1]" in out
    doc = json.loads(report.read_text())
    tests = {r["nodeid"]: r for r in doc["tests"]}
    assert sorted(tests) == sorted(EXAMPLES)
    assert {r["worker"] for r in tests.values()} == {"gw0", "gw1"}
    assert {r["host"] for r in tests.values()} == {"mac1", "mac2"}
    assert all({"gw0": "mac1", "gw1": "mac2"}[r["worker"]] == r["host"] for r in tests.values())
    # ... one profile whichever host ran a test; timelines, findings, attribution came back
    assert {r["profile"]["key"] for r in tests.values()} == {profile.key}
    assert all(len(r["timeline"]["samples"]) > 3 for r in tests.values())
    leaky = tests["test_failure_demos.py::test_leaky_screen[Timer Detail]"]
    assert leaky["outcome"] == "xfailed" and [f["kind"] for f in leaky["findings"]] == ["leak", "objects"]  # the timer retains its view controller: both gates see it
    assert any(a["name"].startswith("TimerDetailViewController") for a in leaky["attribution"])
    assert tests["test_screens.py::test_purging_cache_gives_memory_back"]["metrics"]["reclaimed"] > 2_000_000

    # the controller's summary names the host of every test (they differ)
    table = out[out.index("iosmem memory gates"):].splitlines()
    assert table[1].split()[-1] == "host"
    rows = [line for line in table[3:3 + len(EXAMPLES)]]
    assert {row.split()[-1] for row in rows} == {"mac1", "mac2"}, table
    assert "<th>host</th>" in html.read_text()

    # baselines: written once, by the controller; the earlier entry kept; the leak refused
    assert out.count("baselines written: ") == 1
    [path] = baselines.rglob("*.json")
    assert path == BaselineStore(baselines).path_for(profile, "test_screens.py")
    stored = json.loads(path.read_text())["tests"]
    assert stored["test_from_an_earlier_run"] == seeded.to_dict()
    assert sorted(stored) == sorted(["test_from_an_earlier_run", *(t.split("::")[1] for t in EXAMPLES[:4])])
    for name in EXAMPLES[:4]:
        assert stored[name.split("::")[1]]["end"] == tests[name]["metrics"]["end"]
    assert "baseline not updated for test_failure_demos.py::test_leaky_screen[Timer Detail]" in out
    for host in sshd.hosts:  # the workers wrote nothing where they ran
        assert not list((tmp_path / f"{host}-xdist").rglob("*.json"))


# -- a gateway that dies mid-run ----------------------------------------------------------------------------
DROP_CONFTEST = '''
import time
from pathlib import Path

PROGRESS = Path({progress!r})
SAVED = Path({saved!r})


def checkpoint(name):
    """Say which worker process runs what; the first test on mac2 then waits (its host "drops out")."""
    host = os.environ.get("IOSMEM_HOST", "?")
    (PROGRESS / f"{{host}}-{{os.getpid()}}-{{name}}").write_text("")
    if host != "mac2":
        return
    try:
        os.close(os.open(PROGRESS / "mac2-blocked", os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return
    deadline = time.monotonic() + 240
    while not (PROGRESS / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def saves_a_file_on_failure(iosmem_target):
    """The FailureArtifacts seam (a simulator's leaks memgraph, a device's .memgraph): the local
    target saves nothing, so this stands in for the file a target saves on its own host."""
    def save(app, label):
        SAVED.mkdir(parents=True, exist_ok=True)
        path = SAVED / f"{{label}}-{{app.pid}}.memgraph"
        path.write_text("memgraph")
        return [str(path)]
    iosmem_target.failure_artifacts = save
'''

# Every test leaks (so each result of mac1 has a saved file to name); whichever tests xdist's
# load scheduling sends where, mac2's worker stops in its first one, with its app running.
DROP_TESTS = '''
import pytest
from conftest import checkpoint


@pytest.mark.iosmem_app(args=["--leak", "400000"])
@pytest.mark.iosmem(leak_per_iteration="100KB")
@pytest.mark.parametrize("i", range(6))
def test_screen(iosmem, visit, i, request):
    for _ in iosmem.iterations(4, warmup=0):
        visit()
    checkpoint(request.node.name)
'''


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if sshd_mod._ppid(int(entry.name)) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                pass
    return found


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
    return alive


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2:].split()[0]
    except OSError:
        return "gone"


def test_a_worker_whose_gateway_dies_is_reported_and_the_run_ends_with_what_the_other_measured(sshd, tmp_path):
    project, progress, saved = tmp_path / "project", tmp_path / "progress", tmp_path / "saved"
    project.mkdir()
    progress.mkdir()
    (project / "conftest.py").write_text(
        inner_conftest() + DROP_CONFTEST.format(progress=str(progress), saved=str(saved)))
    (project / "test_remote.py").write_text(DROP_TESTS)
    (project / "pytest.ini").write_text("[pytest]\n")
    report = tmp_path / "report.json"
    cmd = controller(sshd, tmp_path, [str(project / "test_remote.py")], "--max-worker-restart=0",
                     "--iosmem-interval=0.01", *FAST_SETTLE, "--iosmem-app=" + memapp_command(), f"--iosmem-json={report}",
                     f"--iosmem-baselines={tmp_path / 'baselines'}")
    out_path = tmp_path / "controller.out"
    worker = None
    leftovers: list[int] = []
    with open(out_path, "w") as out_file:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=clean_env(), stdout=out_file, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + RUN_TIMEOUT
            while worker is None:
                blocked = (progress / "mac2-blocked").exists()
                started = sorted(p.name for p in progress.iterdir() if p.name.startswith("mac2-") and "test_screen" in p.name)
                if blocked and started:
                    worker = int(started[0].split("-")[1])
                    break
                assert proc.poll() is None, out_path.read_text()[-4000:]
                assert time.monotonic() < deadline, "mac2's worker never reached its checkpoint"
                time.sleep(0.05)
            leftovers = [worker, *_children(worker)]  # the worker and the app it measures
            session = sshd.session_of(worker)
            os.kill(session, signal.SIGKILL)  # mac2's gateway dies: its SSH session is gone
            try:
                proc.wait(timeout=RUN_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(30)
                pytest.fail("the controller hung after a gateway died:\n" + out_path.read_text()[-4000:])
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)
            (progress / "release").write_text("")
    out = out_path.read_text()
    crashed = next(p.name.split("-", 2)[2] for p in progress.iterdir() if p.name.startswith(f"mac2-{worker}-"))

    # reported: the test that was running on the lost worker fails, saying so, and the run ends
    # (--max-worker-restart=0, as docs/scale.md advises: no reconnection to a host that is gone)
    assert proc.returncode == 1, out[-4000:]
    assert "[gw1] node down" in out and f"worker 'gw1' crashed while running 'test_remote.py::{crashed}'" in out
    assert "worker gw1 crashed and worker restarting disabled" in out and "INTERNALERROR" not in out
    assert "iosmem: worker gw1 (on mac2) went down mid-run" in out
    # ... with what the other worker measured: its results are in the summary and the reports
    doc = json.loads(report.read_text())
    assert doc["interrupted"] is True  # the reports say the run did not finish
    results = {r["nodeid"].split("::")[1]: r for r in doc["tests"]}
    assert crashed not in results and len(results) >= 2  # mac1 finishes at least the two it was sent first
    assert {r["host"] for r in results.values()} == {"mac1"} and {r["worker"] for r in results.values()} == {"gw0"}
    table = out[out.index("iosmem memory gates"):out.index("short test summary info")]
    assert all(name in table for name in results) and crashed not in table
    # a file saved on a worker's host is named with that host in the failure and the report
    for r in results.values():
        assert r["outcome"] == "failed" and [f["kind"] for f in r["findings"]] == ["leak"]
        [artifact] = r["artifacts"]
        assert Path(artifact).exists()
        assert f"saved on host mac1: {artifact}" in r["findings"][0]["message"]
        assert f"saved on host mac1: {artifact}" in out
    # nothing hangs: the cut-off worker ends (with its app) once it finds its controller gone
    alive = _wait_gone(leftovers, 60)
    for pid in alive:  # only to not leave them behind; the assertion below reports it
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"left running after its gateway died: {alive}"
