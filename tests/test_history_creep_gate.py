"""The issue's "done when": 30 simulated main-branch runs of the reference app, 0.9% growth every
third run (``--regress`` adds ballast), a 10% per-PR limit and a 5% creep gate.  Every per-PR gate
passes; the creep gate fails from the run where the total crosses 5% (run 18: 1.009^6 = +5.5%,
while run 15 stands at 1.009^5 = +4.6%), naming the steps; the test with no growth stays green
over all 30 runs.  Each run is a real pytest run of the plugin: the history is read by the creep
check of the test and appended at the end of the run; the per-PR baseline is the previous run's
(``iosmem baseline update --force``, the main branch moving on)."""

from __future__ import annotations

import json
import re
import sys

import pytest

from pytest_iosmem.cli import main as iosmem_main
from pytest_iosmem.history.store import open_store

# imported here, before the in-process inner runs: pytester drops modules an inner run imported,
# and numpy's C extension cannot be loaded twice in one process
pytest.importorskip("ruptures")
pytest.importorskip("numpy")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the local target's footprint (/proc)"),
]

RUNS = 30
STEP = 0.009

TESTS = """
import pytest

@pytest.mark.iosmem
def test_steady(iosmem):
    iosmem.settle()

@pytest.mark.iosmem
@pytest.mark.iosmem_app(args=["--regress", "{regress}"])
def test_growing(iosmem):
    iosmem.settle()
"""


def test_creep_past_5_percent_fails_where_the_total_crosses_it_naming_the_steps(pytester, monkeypatch):
    history = pytester.path / "history.db"
    base_end: int | None = None
    kinds: dict[int, dict[str, list[str]]] = {}
    messages: dict[int, str] = {}
    for run in range(1, RUNS + 1):
        steps = run // 3
        regress = 0 if base_end is None else round(base_end * ((1 + STEP) ** steps - 1))
        pytester.makepyfile(test_app=TESTS.format(regress=regress))
        monkeypatch.setenv("IOSMEM_HISTORY_COMMIT", f"c{run:03d}")
        monkeypatch.setenv("IOSMEM_HISTORY_DATE", f"2026-11-{run:02d}T12:00:00+00:00")
        pytester.runpytest(
            "-p", "no:cacheprovider", f"--iosmem-history={history}", "--iosmem-history-record=always",
            "--iosmem-max-creep=5%", "--iosmem-max-growth=10%", "--iosmem-json=r.json",
            # the reference app is ~15 MB: 5% of it is under the default 1 MB noise floor
            "--iosmem-noise-floor=100KB",
        )
        tests = {t["nodeid"].split("::")[-1]: t for t in json.loads((pytester.path / "r.json").read_text())["tests"]}
        kinds[run] = {name: [f["kind"] for f in t["findings"]] for name, t in tests.items()}
        creep = [f["message"] for f in tests["test_growing"]["findings"] if f["kind"] == "creep"]
        messages[run] = creep[0] if creep else ""
        if base_end is None:
            base_end = tests["test_growing"]["metrics"]["end"]
        monkeypatch.chdir(pytester.path)
        assert iosmem_main(["baseline", "update", "r.json", "--force"]) == 0  # main moves on: next PR's base

    assert all(k["test_steady"] == [] for k in kinds.values()), kinds  # no growth: green over 30 runs
    assert all("growth" not in k["test_growing"] for k in kinds.values()), kinds  # each per-PR gate passes
    first_fail = min(run for run, k in kinds.items() if "creep" in k["test_growing"])
    assert first_fail == 18, kinds
    assert all(kinds[run]["test_growing"] == ["creep"] for run in range(18, RUNS + 1)), kinds
    message = messages[18]
    assert "since run 1 c001" in message
    for step_run in (3, 6, 9, 12, 15):
        assert f"at run {step_run} c{step_run:03d}" in message, message
    steps = re.findall(r"\(\+(\d\.\d)%\) at (run \d+|this run)", message)
    assert [where for _, where in steps] == ["run 3", "run 6", "run 9", "run 12", "run 15", "this run"], message
    assert all(0.6 <= float(size) <= 1.2 for size, _ in steps), message  # each step ~0.9%: under 10%
    with open_store(str(history)) as store:
        assert store.run_count() == RUNS
