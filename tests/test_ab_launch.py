"""One launcher for both A/B builds (targets/launch.py, run.IosMemRun): what differs beyond the build is named.

Real interpreters and real processes: the venv's Python and the one it was made
from are two interpreters (another prefix, another ``site``), which is the trap
issue 21 measured (a base on another Python read -10%).
"""

import os
import sys

import pytest

from pytest_iosmem.targets.base import AppSpec
from pytest_iosmem.targets.launch import differences, plan_launch, split_env_prefix
from pytest_iosmem.targets.local import LocalTarget

REFAPP = [sys.executable, "-m", "pytest_iosmem.refapp", "--port", "0"]


def test_an_env_prefix_is_the_apps_environment():
    assert split_env_prefix(["env", "A=1", "B=x=y", "python", "-m", "m"]) == ({"A": "1", "B": "x=y"}, ["python", "-m", "m"])
    assert split_env_prefix(["python", "A=1"]) == ({}, ["python", "A=1"])


def test_relative_paths_are_made_absolute_against_where_pytest_started(tmp_path):
    launch = plan_launch("base", ["env", "PYTHONPATH=../base", sys.executable, "-m", "x"], "/tmp/n", str(tmp_path / "repo"))
    assert launch.env == {"PYTHONPATH": str(tmp_path / "base")}
    assert launch.command == (sys.executable, "-m", "x") and launch.cwd == "/tmp/n"
    assert launch.interpreter is not None and launch.interpreter.version == ".".join(map(str, sys.version_info[:3]))
    assert launch.interpreter.prefix == sys.prefix
    assert f"cwd /tmp/n; env PYTHONPATH={tmp_path / 'base'}" in launch.describe()


def test_the_documented_trap_pythonpath_for_one_build_only_is_named():
    base = plan_launch("base", ["env", "PYTHONPATH=/b", *REFAPP], "/n", "/", own="command arguments")
    head = plan_launch("head", REFAPP, "/n", "/", own="command arguments")
    assert differences(base, head) == ["environment PYTHONPATH: base '/b', head not set"]


def test_the_directory_form_differs_only_in_the_build():
    base = plan_launch("base", REFAPP, "/n", "/", {"PYTHONPATH": "/base"}, own="PYTHONPATH")
    head = plan_launch("head", REFAPP, "/n", "/", {"PYTHONPATH": "/head"}, own="PYTHONPATH")
    assert differences(base, head) == []
    # the arguments are not the build's own in this form
    other = plan_launch("base", [*REFAPP, "--regress", "1MB"], "/n", "/", {"PYTHONPATH": "/base"}, own="PYTHONPATH")
    assert [d.split(":")[0] for d in differences(other, head)] == ["command"]


def test_another_interpreter_is_named_with_its_version_and_prefix():
    real = os.path.realpath(sys.executable)
    if real == sys.executable or sys.prefix == sys.base_prefix:
        pytest.skip("needs a venv whose python is a link to another interpreter")
    base = plan_launch("base", [real, "-m", "pytest_iosmem.refapp"], "/n", "/", own="command arguments")
    head = plan_launch("head", REFAPP, "/n", "/", own="command arguments")
    (diff,) = differences(base, head)
    assert diff.startswith("interpreter: base CPython") and f"prefix {sys.base_prefix}" in diff and f"prefix {sys.prefix}" in diff


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/cwd")
def test_the_local_target_launches_in_the_directory_asked(tmp_path):
    target = LocalTarget()
    app = target.launch(AppSpec(command=["sleep", "30"], cwd=str(tmp_path)))
    try:
        assert os.readlink(f"/proc/{app.pid}/cwd") == str(tmp_path)
    finally:
        target.terminate(app)
