"""The ``iosmem`` command through its real entry point (the installed console script)."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_iosmem.cli import main

DATA = Path(__file__).parent / "data"
REPORT = DATA / "reports" / "examples_failures.json"
IOSMEM = shutil.which("iosmem") or str(Path(sys.executable).with_name("iosmem"))


def iosmem(*args, cwd=None, timeout=120):
    return subprocess.run([IOSMEM, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def test_help_of_every_subcommand_has_an_example():
    for cmd in ([], ["devices"], ["sample"], ["baseline"], ["baseline", "update"], ["baseline", "diff"],
                ["baseline", "prune"], ["baseline", "show"], ["report"], ["heap-diff"]):
        out = iosmem(*cmd, "--help")
        assert out.returncode == 0, (cmd, out.stderr)
        assert "example" in out.stdout, cmd


def test_usage_errors_exit_2_with_one_line():
    for args, needle in (
        (["nonsense"], "invalid choice"),
        (["report", "missing.json", "--html", "x.html"], "missing.json: no such report file"),
        (["heap-diff", "a.txt", "b.txt"], "a.txt: no such file"),
        (["sample", "--pid", "999999", "--duration", "1"], "--iosmem-pid=999999: no such process"),
        (["baseline", "show", "--dir", "nowhere"], "nowhere: no baselines directory"),
    ):
        out = iosmem(*args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert needle in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)


def test_devices_lists_the_local_target():
    out = iosmem("devices")
    assert out.returncode == 0
    assert "local" in out.stdout and "local-" in out.stdout
    assert "simulators:" in out.stdout or "simulator" in out.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_sample_a_running_process_with_csv(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(30_000_000); time.sleep(30)"])
    try:
        time.sleep(0.5)
        out = iosmem("sample", "--pid", str(proc.pid), "--duration", "1", "--interval", "0.2",
                     "--csv", str(tmp_path / "s.csv"))
    finally:
        proc.kill()
        proc.wait()
    assert out.returncode == 0, out.stderr
    assert "footprint" in out.stdout and "peak" in out.stdout
    rows = (tmp_path / "s.csv").read_text().splitlines()
    assert rows[0] == "t_seconds,footprint_bytes,peak_bytes" and len(rows) >= 4
    assert all(int(r.split(",")[1]) > 29_000_000 for r in rows[1:])


def test_sample_notices_the_app_ending(tmp_path):
    out = iosmem("sample", "--command", f"{sys.executable} -c 'import time; time.sleep(0.6)'", "--duration", "5",
                 "--interval", "0.1")
    assert out.returncode == 0
    assert "the app ended: exited with code 0" in out.stdout


def test_report_renders_and_exits_1_on_failures(tmp_path):
    out = iosmem("report", str(REPORT), "--html", str(tmp_path / "r.html"), "--markdown", str(tmp_path / "r.md"))
    assert out.returncode == 1
    assert (tmp_path / "r.html").read_text().count("<svg") == 4
    assert "## iOS memory gates" in (tmp_path / "r.md").read_text()
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something-else"}')
    out = iosmem("report", str(bad), "--html", str(tmp_path / "x.html"))
    assert out.returncode == 2 and "not a pytest-iosmem report" in out.stderr


def test_baseline_update_from_a_ci_report_then_show_and_diff(tmp_path):
    out = iosmem("baseline", "update", str(REPORT), "--dir", str(tmp_path / "b"))
    assert out.returncode == 0, out.stderr
    # the report's one passing test is accepted; the three failing ones are refused
    assert "updated" in out.stdout and out.stdout.count("refused") == 3
    [path] = list((tmp_path / "b").rglob("*.json"))
    stored = json.loads(path.read_text())["tests"]
    assert list(stored) == ["test_clean_screen_does_not_leak"]
    show = iosmem("baseline", "show", "--dir", str(tmp_path / "b"))
    assert "test_screens.py::test_clean_screen_does_not_leak" in show.stdout
    same = iosmem("baseline", "diff", "--report", str(REPORT), "--dir", str(tmp_path / "b"))
    assert same.returncode == 0, same.stdout
    # a report whose footprint grew by 50% is a regression: exit 1
    doc = json.loads(REPORT.read_text())
    for t in doc["tests"]:
        if t["metrics"]["end"]:
            t["metrics"]["end"] = int(t["metrics"]["end"] * 1.5)
    grown = tmp_path / "grown.json"
    grown.write_text(json.dumps(doc))
    out = iosmem("baseline", "diff", "--report", str(grown), "--dir", str(tmp_path / "b"))
    assert out.returncode == 1 and "GREW" in out.stdout
    forced = iosmem("baseline", "update", str(REPORT), "--force", "--dir", str(tmp_path / "b"))
    assert forced.returncode == 0
    stored = [n for f in (tmp_path / "b").rglob("*.json") for n in json.loads(f.read_text())["tests"]]
    assert len(stored) == 4


def test_baseline_diff_two_profiles(tmp_path):
    from pytest_iosmem.baseline import Baseline, BaselineStore
    from pytest_iosmem.targets.base import Profile

    store = BaselineStore(tmp_path)
    a, b = Profile("simulator", "iPhone15,2", "iOS 17.5"), Profile("simulator", "iPhone15,2", "iOS 18.0")
    store.update(a, [("t.py::test_x", Baseline(100_000_000, 120_000_000))])
    store.update(b, [("t.py::test_x", Baseline(140_000_000, 150_000_000))])
    out = iosmem("baseline", "diff", a.key, b.key, "--dir", str(tmp_path))
    assert out.returncode == 1 and "+40.0%" in out.stdout


def test_corrupt_baseline_is_exit_2_and_untouched(tmp_path):
    d = tmp_path / "b" / "local-x" / "t.py.json"
    d.parent.mkdir(parents=True)
    d.write_text("{oops")
    out = iosmem("baseline", "update", str(REPORT), "--dir", str(tmp_path / "b"))
    # the report's profile differs, so this file is not written; show reads it and fails clearly
    show = iosmem("baseline", "show", "--dir", str(tmp_path / "b"))
    assert show.returncode == 2 and f"{d} is corrupt" in show.stderr
    assert d.read_text() == "{oops"
    assert out.returncode == 0


def test_baseline_prune_dry_run_then_apply(tmp_path):
    (tmp_path / "test_here.py").write_text("def test_alive():\n    pass\n")
    from pytest_iosmem.baseline import Baseline, BaselineStore
    from pytest_iosmem.targets.base import Profile

    store = BaselineStore(tmp_path / "baselines")
    p = Profile("local", "x86_64", "linux")
    store.update(p, [("test_here.py::test_alive", Baseline(1, 1)), ("test_here.py::test_gone", Baseline(2, 2))])
    store.update(p, [("test_deleted.py::test_old", Baseline(3, 3))])
    dry = iosmem("baseline", "prune", cwd=tmp_path)
    assert dry.returncode == 0 and "would remove" in dry.stdout and "dry run" in dry.stdout
    assert (tmp_path / "baselines" / p.key / "test_deleted.py.json").exists()
    done = iosmem("baseline", "prune", "--apply", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "baselines" / p.key / "test_deleted.py.json").exists()
    kept = json.loads((tmp_path / "baselines" / p.key / "test_here.py.json").read_text())["tests"]
    assert list(kept) == ["test_alive"]


def test_heap_diff_of_heap_files_and_refapp_json(tmp_path, capsys):
    before = DATA / "heap_ios_sim_17_2.txt"
    after = tmp_path / "after.txt"
    after.write_text(before.read_text().replace(
        "       1        944     944.0   ViewController", "       7       6608     944.0   ViewController"))
    assert main(["heap-diff", str(before), str(after), "--iterations", "6"]) == 0
    out = capsys.readouterr().out
    assert "ViewController" in out and "+1.0" in out and "+944 B" in out
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text(json.dumps({"value": [{"class": "Leaky", "count": 1, "bytes": 1000}]}))
    b.write_text(json.dumps({"value": [{"class": "Leaky", "count": 3, "bytes": 3000}]}))
    assert main(["heap-diff", str(a), str(b)]) == 0
    assert "Leaky" in capsys.readouterr().out


def test_refapp_passthrough_help():
    out = iosmem("refapp", "--help")
    assert out.returncode == 0 and "--leak-size" in out.stdout
