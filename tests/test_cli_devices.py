"""``iosmem devices``: local always, simulators through (a stand-in) xcrun, devices through pymobiledevice3."""

import json
import os
import subprocess
from pathlib import Path


from pytest_iosmem.cli import main

from .cli_helpers import DATA, IOSMEM
from .helpers import fakes_path



def run_devices(env_changes, tmp_path):
    env = {**os.environ, **env_changes}
    return subprocess.run([IOSMEM, "devices"], capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)


def path_without_xcrun(tmp_path):
    """PATH with only what the console script needs: no directory that holds an xcrun."""
    dirs = [d for d in os.environ["PATH"].split(os.pathsep) if d and not (Path(d) / "xcrun").exists()]
    return os.pathsep.join(dirs)


def test_without_xcrun_the_local_target_is_listed_and_simulators_are_said_plainly(tmp_path):
    out = run_devices({"PATH": path_without_xcrun(tmp_path)}, tmp_path)
    assert out.returncode == 0, out.stderr
    [local] = [line for line in out.stdout.splitlines() if line.startswith("local ")]
    assert "this host" in local and " local-" in local
    assert "simulators: no xcrun on PATH" in out.stdout
    assert "devices:" in out.stdout  # either listed or a plain reason why not


def test_simulators_come_from_simctl_list(tmp_path):
    log = tmp_path / "xcrun.log"
    out = run_devices({
        "PATH": fakes_path(),
        "FAKE_XCRUN_LOG": str(log),
        "FAKE_XCRUN_LIST": str(DATA / "simctl_list_xcode16.json"),
    }, tmp_path)
    assert out.returncode == 0, out.stderr
    sims = [line for line in out.stdout.splitlines() if line.startswith("simulator ")]
    assert any("218E4ECD-F530-413F-9A8F-65951D3C4DBF" in s and "iPhone 15 (iOS 17.5)" in s for s in sims), out.stdout
    assert all("simulator-" in s for s in sims)  # each with its profile key
    calls = [json.loads(line)["argv"] for line in log.read_text().splitlines()]
    assert ["simctl", "list", "-j"] == calls[0][:3]


def test_a_failing_xcrun_is_a_note_not_a_crash(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "xcrun").write_text("#!/bin/sh\necho 'xcrun: error: no developer tools' >&2\nexit 1\n")
    (broken / "xcrun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{broken}{os.pathsep}{os.environ['PATH']}")
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "simulators: cannot list them:" in out and "local" in out


def test_without_pymobiledevice3_devices_are_said_plainly(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_pmd3(name, *args, **kwargs):
        if name.startswith("pymobiledevice3"):
            raise ImportError("No module named 'pymobiledevice3'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pmd3)
    assert main(["devices"]) == 0
    assert "devices: pymobiledevice3 is not installed (from your pytest-iosmem checkout: pip install -e '.[device]')" \
        in capsys.readouterr().out
