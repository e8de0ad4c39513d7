"""``iosmem`` itself: help with examples everywhere, usage errors as exit 2 and one line, no traceback."""

import subprocess
import sys

import pytest

from pytest_iosmem.cli import main

from .cli_helpers import iosmem

SUBCOMMANDS = (["devices"], ["sample"], ["baseline"], ["baseline", "show"], ["baseline", "diff"],
               ["baseline", "update"], ["baseline", "prune"], ["report"], ["heap-diff"])


@pytest.mark.parametrize("cmd", [[], *SUBCOMMANDS], ids=lambda c: " ".join(c) or "iosmem")
def test_help_has_an_example_and_exits_0(cmd):
    out = iosmem(*cmd, "--help")
    assert out.returncode == 0, out.stderr
    assert "example" in out.stdout and out.stdout.startswith("usage: iosmem")


def test_top_level_help_lists_every_subcommand_and_the_exit_codes():
    out = iosmem("--help").stdout
    for name in ("devices", "sample", "baseline", "report", "heap-diff", "refapp"):
        assert name in out
    assert "0 ok, 1 regression found, 2 usage error" in out


@pytest.mark.parametrize("args, needle", [
    (["nonsense"], "invalid choice: 'nonsense'"),
    (["sample"], "one of the arguments --pid --bundle --command is required"),
    (["sample", "--pid", "x"], "argument --pid: invalid int value: 'x'"),
    (["report"], "the following arguments are required: report"),
    (["heap-diff", "only-one"], "the following arguments are required: after"),
    (["baseline", "show", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_arguments_exit_2_with_the_message(args, needle):
    out = iosmem(*args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert needle in out.stderr and "Traceback" not in out.stderr


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: iosmem" in capsys.readouterr().err


def test_in_process_help_returns_instead_of_exiting(capsys):
    assert main(["devices", "--help"]) == 0
    assert "example" in capsys.readouterr().out


def test_python_dash_m_is_the_same_command():
    out = subprocess.run([sys.executable, "-m", "pytest_iosmem.cli", "baseline", "show", "--dir", "no-such-dir"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--dir no-such-dir: no baselines directory" in out.stderr
