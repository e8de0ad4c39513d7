"""``iosmem sample`` on real processes: the footprint lines, the CSV, Ctrl-C, the app ending, bad pids."""

import csv
import signal
import subprocess
import sys

import pytest

from pytest_iosmem.cli import main

from .cli_helpers import IOSMEM, iosmem

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the local footprint is read from /proc")

HOLDS_30MB = "import time; b = bytearray(30_000_000); print('ready', flush=True); time.sleep(60)"


@pytest.fixture
def app():
    """A real process holding 30 MB of written memory."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDS_30MB], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    yield proc
    proc.kill()
    proc.wait()


def read_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["t_seconds", "footprint_bytes", "peak_bytes"]
    return [(float(t), int(f), int(p)) for t, f, p in rows[1:]]


@pytest.mark.slow
def test_sample_a_running_pid_prints_lines_and_writes_the_csv(app, tmp_path):
    out = iosmem("sample", "--pid", str(app.pid), "--duration", "1", "--interval", "0.2",
                 "--csv", str(tmp_path / "s.csv"))
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if "footprint" in line]
    assert len(lines) >= 4 and all("peak" in line and "MB" in line for line in lines)
    rows = read_csv(tmp_path / "s.csv")
    assert len(rows) == len(lines)
    assert all(f > 29_000_000 for _, f, _ in rows)
    assert all(p >= f for _, f, p in rows)  # a running peak
    assert [p for *_, p in rows] == sorted(p for *_, p in rows)
    assert rows[-1][0] < 1.0 and [t for t, *_ in rows] == sorted(t for t, *_ in rows)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupting_keeps_the_samples_in_the_csv(app, tmp_path, sig):
    path = tmp_path / "s.csv"
    proc = subprocess.Popen([IOSMEM, "sample", "--pid", str(app.pid), "--interval", "0.05", "--csv", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = 0
    while seen < 3:  # wait for three samples, then stop it as a person (or CI) would
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        seen += "footprint" in line
    proc.send_signal(sig)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in rest
    assert len(read_csv(path)) >= 3
    assert not list(tmp_path.glob(".s.csv.*"))  # the atomic write left no temporary file


def test_a_pid_that_does_not_exist_is_exit_2_naming_it():
    out = iosmem("sample", "--pid", "999999999", "--duration", "1")
    assert out.returncode == 2
    assert out.stderr.strip().endswith("--pid 999999999: no such process")
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_sample_a_command_until_it_ends(tmp_path):
    out = iosmem("sample", "--command", f"{sys.executable} -c 'import time; time.sleep(0.6)'",
                 "--duration", "10", "--interval", "0.1", "--csv", str(tmp_path / "s.csv"))
    assert out.returncode == 0, out.stderr
    assert "the app ended: exited with code 0" in out.stdout
    assert 3 <= len(read_csv(tmp_path / "s.csv")) <= 20


@pytest.mark.parametrize("args, message", [
    (["--pid", "1", "--interval", "0"], "--interval 0: must be a positive number of seconds"),
    (["--pid", "1", "--duration", "-1"], "--duration -1: must be a positive number of seconds"),
    (["--pid", "-5"], "--pid -5: not a process id"),
    (["--bundle", "com.example.app"], "--bundle needs --target simulator or device"),
    (["--command", "x", "--target", "device"], "--command starts a local process"),
    (["--pid", "1", "--target", "phone"], "argument --target: invalid choice: 'phone'"),
])
def test_bad_arguments_are_exit_2(args, message, capsys):
    assert main(["sample", *args]) == 2
    assert message in capsys.readouterr().err


def test_quiet_prints_only_the_summary(app, capsys):
    assert main(["sample", "--pid", str(app.pid), "--duration", "0.3", "--interval", "0.1", "--quiet"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert not any("footprint" in line for line in out)
    assert out[-1].endswith(" MB") and "samples, last" in out[-1]


@pytest.mark.parametrize("script", [
    "echo boom >&2; exit 3",  # dies before the first sample: "no sample was read", exit 0 before
    "echo boom >&2; sleep 0.5; exit 3",  # dies while sampled: "the app ended: exited with code 3", exit 0 before
])
def test_an_app_that_dies_is_a_failure_with_its_last_output(script):
    out = iosmem("sample", "--command", f"sh -c '{script}'", "--duration", "10", "--interval", "0.05")
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "boom" in out.stderr
    assert "exited with code 3" in out.stdout + out.stderr
