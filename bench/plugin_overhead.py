"""Plugin overhead on a suite that uses none of its fixtures.

Times ``pytest --collect-only -q`` of a generated suite with the plugin
installed, against the same command with ``-p no:iosmem``, alternating the
two in one run and taking medians.  Goal: under 20 ms.

    python bench/plugin_overhead.py [--tests 300] [--runs 15]
"""

from __future__ import annotations

import argparse
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


def time_run(root: Path, extra: list[str]) -> float:
    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *extra]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=120)
    return time.perf_counter() - start


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
            with_plugin.append(time_run(root, []))
            without.append(time_run(root, ["-p", "no:iosmem"]))
    on, off = statistics.median(with_plugin), statistics.median(without)
    # import cost of the plugin module alone, in a fresh interpreter
    imp = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import pytest; import pytest_iosmem.plugin"],
        capture_output=True, text=True, check=True,
    ).stderr.splitlines()
    after_pytest = imp[next(i for i, line in enumerate(imp) if line.rstrip().endswith("| pytest")) + 1 :]
    own_us = sum(int(line.split("|")[0].split(":")[1]) for line in after_pytest)
    print(f"suite: {a.tests} tests, {a.runs} alternating runs each")
    print(f"pytest --collect-only with plugin    : median {on * 1000:7.1f} ms")
    print(f"pytest --collect-only -p no:iosmem   : median {off * 1000:7.1f} ms")
    print(f"overhead                             : {(on - off) * 1000:+7.1f} ms  (goal < 20 ms; ratio {on / off:.3f})")
    print(f"import of the plugin after pytest (-X importtime, self times): {own_us / 1000:.1f} ms")
    heavy = [m for m in ("wda", "pymobiledevice3", "pygal", "requests") if any(line.rstrip().endswith(f"| {m}") for line in after_pytest)]
    print(f"heavy modules imported by the plugin: {heavy or 'none'}")


if __name__ == "__main__":
    main()
