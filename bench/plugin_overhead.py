"""Plugin overhead on a suite that uses none of its fixtures.

Times ``pytest --collect-only -q`` of a generated suite with the plugin
loaded, against the same command without it, alternating the two in one run
and taking medians of wall and CPU time.  Plugin autoloading is off in both
(``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``, the plugin given as ``-p
pytest_iosmem.plugin``) so other installed plugins do not drown the figure.
Goal: under 20 ms.

    python bench/plugin_overhead.py [--tests 300] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_suite(root: Path, tests: int) -> None:
    per_module = 20
    for m in range(max(1, tests // per_module)):
        body = "\n".join(f"def test_{m}_{i}():\n    assert {i} == {i}\n" for i in range(per_module))
        (root / f"test_mod{m}.py").write_text(body)
    (root / "pytest.ini").write_text("[pytest]\n")


def time_run(root: Path, extra: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one collect-only run.

    CPU time is the steadier figure on a shared machine: other tenants
    stretch wall time, much less the CPU the run itself used.
    """
    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *extra]
    # Other installed plugins (hypothesis alone costs ~0.8 s here) would drown the
    # figure: autoloading is off and the plugin is loaded by name, or not at all.
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=120)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", type=int, default=300)
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        make_suite(root, a.tests)
        time_run(root, [])  # warm the file cache and .pyc files
        with_plugin, without = [], []
        for _ in range(a.runs):
            with_plugin.append(time_run(root, ["-p", "pytest_iosmem.plugin"]))
            without.append(time_run(root, []))
    on, off = statistics.median(w for w, _ in with_plugin), statistics.median(w for w, _ in without)
    on_cpu, off_cpu = statistics.median(c for _, c in with_plugin), statistics.median(c for _, c in without)
    # import cost of the plugin module alone, in a fresh interpreter
    imp = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import pytest; import pytest_iosmem.plugin"],
        capture_output=True, text=True, check=True,
    ).stderr.splitlines()
    after_pytest = imp[next(i for i, line in enumerate(imp) if line.rstrip().endswith("| pytest")) + 1 :]
    own_us = sum(int(line.split("|")[0].split(":")[1]) for line in after_pytest)
    print(f"suite: {a.tests} tests, {a.runs} alternating runs each")
    print(f"pytest --collect-only with plugin    : median {on * 1000:7.1f} ms")
    print(f"pytest --collect-only without plugin : median {off * 1000:7.1f} ms")
    print(f"overhead, wall                       : {(on - off) * 1000:+7.1f} ms  (ratio {on / off:.3f})")
    print(f"CPU with plugin / without            : {on_cpu * 1000:7.1f} / {off_cpu * 1000:.1f} ms")
    print(f"overhead, CPU                        : {(on_cpu - off_cpu) * 1000:+7.1f} ms  (goal < 20 ms; ratio {on_cpu / off_cpu:.3f})")
    print(f"import of the plugin after pytest (-X importtime, self times): {own_us / 1000:.1f} ms")
    heavy = [m for m in ("wda", "pymobiledevice3", "pygal", "requests") if any(line.rstrip().endswith(f"| {m}") for line in after_pytest)]
    print(f"heavy modules imported by the plugin: {heavy or 'none'}")


if __name__ == "__main__":
    main()
