"""``iosmem refapp``: the reference app itself (the command becomes the app), and the CLI used on it."""

import re
import signal
import subprocess
import sys
import urllib.request

import pytest

from pytest_iosmem.cli import main

from .cli_helpers import IOSMEM, iosmem


def test_arguments_pass_through_help_included():
    out = iosmem("refapp", "--help")
    assert out.returncode == 0
    assert "--leak-size" in out.stdout and "pytest_iosmem.refapp" in out.stdout


def test_bad_app_arguments_are_the_apps_usage_error():
    out = iosmem("refapp", "--port", "not-a-port")
    assert out.returncode == 2 and "--port" in out.stderr


def test_in_process_it_runs_as_a_child_and_returns_its_code(capfd):
    assert main(["refapp", "--help"]) == 0
    assert "--leak-size" in capfd.readouterr().out


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_command_is_the_app_so_sample_and_heap_diff_work_on_it(tmp_path):
    app = subprocess.Popen([IOSMEM, "refapp", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"ServerURLHere->(\S+)<-ServerURLHere", app.stdout.readline()).group(1)
        # the console script exec'd the app: its pid is the app's (signals and --pid reach it)
        cmdline = open(f"/proc/{app.pid}/cmdline").read().split("\0")
        assert cmdline[1:3] == ["-m", "pytest_iosmem.refapp"]
        with urllib.request.urlopen(url + "/iosmem/objects", timeout=10) as r:
            (tmp_path / "before.json").write_bytes(r.read())
        sampled = iosmem("sample", "--pid", str(app.pid), "--duration", "0.5", "--interval", "0.1")
        assert sampled.returncode == 0 and "MB  peak" in sampled.stdout, sampled.stderr
        diff = iosmem("heap-diff", str(tmp_path / "before.json"), url + "/iosmem/objects")
        assert diff.returncode == 0 and diff.stdout.strip() == "no class grew", diff.stdout + diff.stderr
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=10)
