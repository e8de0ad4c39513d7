"""A/B on the simulator with the base as its ``.app`` (or a zip of it): copied, renamed, re-signed, installed
beside the head, uninstalled at the end — also when the run is cancelled.

Stand-ins on PATH (tests/fakes): ``codesign`` signs and verifies as codesign(1) says (a bundle edited
after signing fails ``-v``; signing a signed bundle needs ``--force``); ``xcrun simctl`` keeps what is
installed (``FAKE_XCRUN_INSTALLED``), refuses a bundle whose signature does not hold, and cannot
launch an app that is not installed.  The ``.app`` layouts are what Xcode builds for the simulator:
a flat bundle with Info.plist (binary, as Xcode writes it, or XML), the executable, PkgInfo,
an embedded framework and a compiled storyboard.
"""

from __future__ import annotations

import json
import os
import plistlib
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pytest_iosmem.errors import UsageError
from pytest_iosmem.targets import simulator as sim
from pytest_iosmem.targets.app_copy import is_app_source, prepare_copy

from .test_shutdown import wait_until
from .test_simulator import DATA, FAKES, IPHONE15, ctx, fakes  # noqa: F401  (fixture)

HEAD_ID = "com.example.shop"
BASE_ID = HEAD_ID + ".iosmem-base"


def build_app(where: Path, fmt=plistlib.FMT_BINARY, name: str = "Shop") -> Path:
    """An iphonesimulator .app as Xcode lays it out, signed ad hoc by the codesign stand-in."""
    app = where / f"{name}.app"
    (app / "Frameworks" / "Cart.framework").mkdir(parents=True)
    (app / "Base.lproj" / "LaunchScreen.storyboardc").mkdir(parents=True)
    info = {"CFBundleIdentifier": HEAD_ID, "CFBundleExecutable": name, "CFBundleName": name,
            "CFBundlePackageType": "APPL", "CFBundleShortVersionString": "1.0", "CFBundleVersion": "1",
            "CFBundleSupportedPlatforms": ["iPhoneSimulator"], "DTPlatformName": "iphonesimulator",
            "MinimumOSVersion": "17.0", "UIDeviceFamily": [1, 2]}
    (app / "Info.plist").write_bytes(plistlib.dumps(info, fmt=fmt))
    (app / name).write_bytes(b"\xcf\xfa\xed\xfe" + b"\0" * 60)  # a Mach-O magic: the executable
    os.chmod(app / name, 0o755)
    (app / "PkgInfo").write_text("APPL????")
    (app / "Frameworks" / "Cart.framework" / "Cart").write_bytes(b"\xcf\xfa\xed\xfe" + b"\1" * 60)
    (app / "Frameworks" / "Cart.framework" / "Info.plist").write_bytes(
        plistlib.dumps({"CFBundleIdentifier": "com.example.Cart", "CFBundlePackageType": "FMWK"}, fmt=fmt))
    (app / "Base.lproj" / "LaunchScreen.storyboardc" / "Info.plist").write_bytes(plistlib.dumps({}, fmt=fmt))
    subprocess.run([str(FAKES / "codesign"), "--sign", "-", str(app)], check=True)
    return app


def zip_app(app: Path, zpath: Path, under: str = "Payload/") -> Path:
    """A zip as CI uploads a build (``ditto -c -k --keepParent``): modes kept in the entries."""
    with zipfile.ZipFile(zpath, "w") as zf:
        for path in sorted(app.rglob("*")):
            arc = under + str(path.relative_to(app.parent))
            info = zipfile.ZipInfo(arc + ("/" if path.is_dir() else ""))
            info.external_attr = (path.stat().st_mode & 0xFFFF) << 16
            zf.writestr(info, b"" if path.is_dir() else path.read_bytes())
    return zpath


def codesign_verifies(app: Path) -> bool:
    return subprocess.run([str(FAKES / "codesign"), "-v", str(app)], capture_output=True).returncode == 0


@pytest.fixture
def on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", f"{FAKES}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_TOOLS_LOG", str(tmp_path / "tools.log"))
    return tmp_path / "tools.log"


@pytest.mark.parametrize("fmt", [plistlib.FMT_BINARY, plistlib.FMT_XML], ids=["binary-plist", "xml-plist"])
def test_the_copy_gets_a_derived_bundle_id_in_its_own_plist_format_and_a_valid_ad_hoc_signature(tmp_path, on_path, fmt):
    app = build_app(tmp_path / "build", fmt)
    before = (app / "Info.plist").read_bytes()
    copy = prepare_copy(str(app), tmp_path / "work")
    assert (copy.bundle_id, copy.original_id) == (BASE_ID, HEAD_ID)
    raw = (copy.path / "Info.plist").read_bytes()
    assert raw.startswith(b"bplist00") == (fmt == plistlib.FMT_BINARY)  # written back as it came
    info = plistlib.loads(raw)
    assert info["CFBundleIdentifier"] == BASE_ID and info["CFBundleExecutable"] == "Shop"
    assert info["UIDeviceFamily"] == [1, 2]  # nothing else changed
    assert (app / "Info.plist").read_bytes() == before and codesign_verifies(app)  # the build itself untouched
    assert codesign_verifies(copy.path)
    assert os.stat(copy.path / "Shop").st_mode & stat.S_IXUSR
    calls = [json.loads(x)["argv"] for x in on_path.read_text().splitlines()]
    assert ["codesign", "--force", "--sign", "-", str(copy.path)] in calls


def test_the_stand_ins_refuse_what_the_tools_refuse(tmp_path, on_path):
    app = build_app(tmp_path / "build")
    again = subprocess.run([str(FAKES / "codesign"), "--sign", "-", str(app)], capture_output=True, text=True)
    assert again.returncode == 1 and "is already signed" in again.stderr  # hence --force
    info = plistlib.loads((app / "Info.plist").read_bytes())
    info["CFBundleIdentifier"] = BASE_ID
    (app / "Info.plist").write_bytes(plistlib.dumps(info, fmt=plistlib.FMT_BINARY))
    assert not codesign_verifies(app)  # edited after signing: the reason the copy is re-signed


def test_a_zip_of_the_build_is_unpacked_with_its_modes(tmp_path, on_path):
    app = build_app(tmp_path / "build")
    archive = zip_app(app, tmp_path / "Shop.zip")
    assert is_app_source(str(archive)) and is_app_source(str(app)) and not is_app_source(HEAD_ID)
    copy = prepare_copy(str(archive), tmp_path / "work")
    assert copy.bundle_id == BASE_ID and codesign_verifies(copy.path)
    assert os.stat(copy.path / "Shop").st_mode & 0o777 == 0o755


@pytest.mark.parametrize("entries, message", [
    ({"README.txt": b"x"}, "the zip must hold one .app bundle, found none"),
    ({"A.app/Info.plist": b"x", "B.app/Info.plist": b"x"}, "found A.app, B.app"),
    ({"../evil.app/Info.plist": b"x"}, "points outside the archive"),
])
def test_a_zip_that_is_not_one_app_is_a_usage_error_naming_it(tmp_path, entries, message):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    with pytest.raises(UsageError, match=rf"--iosmem-base-app {archive}: .*{message}"):
        prepare_copy(str(archive), tmp_path / "work")


def test_no_bundle_id_is_a_usage_error(tmp_path):
    app = tmp_path / "X.app"
    app.mkdir()
    (app / "Info.plist").write_bytes(plistlib.dumps({"CFBundleName": "X"}))
    with pytest.raises(UsageError, match="Info.plist has no CFBundleIdentifier"):
        prepare_copy(str(app), tmp_path / "work")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the footprint seam reads /proc here")
@pytest.mark.slow
def test_the_simulator_installs_the_copy_beside_the_head_and_uninstalls_it_at_close(fakes, tmp_path, monkeypatch):
    state = tmp_path / "installed.json"
    state.write_text(json.dumps({IPHONE15: {HEAD_ID: "/Apps/Shop.app"}}))  # the head, installed by the team
    monkeypatch.setenv("FAKE_XCRUN_INSTALLED", str(state))
    app = build_app(tmp_path / "base-build")
    target = sim.create(ctx(fakes, simulator_udid=IPHONE15))
    assert target.install_base(str(app)) == BASE_ID
    assert set(json.loads(state.read_text())[IPHONE15]) == {HEAD_ID, BASE_ID}
    from pytest_iosmem.targets.base import AppSpec

    base = target.launch(AppSpec(bundle_id=BASE_ID))
    assert base.bundle_id == BASE_ID
    target.terminate(base)
    target.close()
    assert set(json.loads(state.read_text())[IPHONE15]) == {HEAD_ID}
    argvs = fakes.argvs()
    install = next(a for a in argvs if a[1] == "install")
    assert install[:3] == ["simctl", "install", IPHONE15] and install[3].endswith("/Shop.app")
    assert not Path(install[3]).exists()  # the copy's directory is removed too
    assert argvs[-1] == ["simctl", "uninstall", IPHONE15, BASE_ID]


SIM_CONFTEST = """
import pytest_iosmem.targets.simulator as sim
from pytest_iosmem.targets.base import Reading

# Stands for libproc (there is none on Linux): the footprint of the simulator app's host pid.
sim.read_host_footprint = lambda pid: Reading(50_000_000)
"""

SIM_TEST = """
import os, time

def test_waits_to_be_cancelled(iosmem):
    with open(os.environ["IOSMEM_TEST_READY"] + ".tmp", "w") as fh:
        fh.write(iosmem.app.bundle_id)
    os.replace(os.environ["IOSMEM_TEST_READY"] + ".tmp", os.environ["IOSMEM_TEST_READY"])
    time.sleep(120)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the footprint seam reads /proc here")
@pytest.mark.slow
def test_a_cancelled_ab_run_uninstalls_the_base_copy(tmp_path):
    """SIGTERM (a cancelled CI job) during the base's first trial: the copy is uninstalled all the same."""
    app_proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # the app's host process
    (tmp_path / "conftest.py").write_text(SIM_CONFTEST)
    (tmp_path / "test_cancel.py").write_text(SIM_TEST)
    state, ready = tmp_path / "installed.json", tmp_path / "ready"
    state.write_text(json.dumps({IPHONE15: {HEAD_ID: "/Apps/Shop.app"}}))
    base = build_app(tmp_path / "base-build")
    env = {**os.environ, "PATH": f"{FAKES}{os.pathsep}{os.environ['PATH']}", "IOSMEM_TEST_READY": str(ready),
           "FAKE_XCRUN_LIST": str(DATA / "simctl_list_xcode16.json"), "FAKE_XCRUN_PID": str(app_proc.pid),
           "FAKE_XCRUN_LAUNCHCTL": str(DATA / "simctl_spawn_launchctl_list_1.txt"),
           "FAKE_XCRUN_INSTALLED": str(state), "FAKE_XCRUN_LOG": str(tmp_path / "xcrun.log")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_cancel.py",
         "--iosmem-target=simulator", f"--iosmem-app={HEAD_ID}", f"--iosmem-base-app={base}",
         f"--iosmem-simulator-udid={IPHONE15}", f"--iosmem-artifacts={tmp_path / 'artifacts'}",
         "--iosmem-settle-timeout=0.5"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        if not wait_until(ready.exists, 60):
            proc.kill()
            pytest.fail("the inner test never started:\n" + proc.communicate()[0][-3000:])
        assert ready.read_text() == BASE_ID  # the first trial is the base's (ABBA), launched by its own id
        assert set(json.loads(state.read_text())[IPHONE15]) == {HEAD_ID, BASE_ID}
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
        app_proc.kill()
        app_proc.wait()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out[-3000:]
    assert set(json.loads(state.read_text())[IPHONE15]) == {HEAD_ID}, out[-3000:]
    calls = [json.loads(x)["argv"] for x in (tmp_path / "xcrun.log").read_text().splitlines()]
    assert calls[-1] == ["simctl", "uninstall", IPHONE15, BASE_ID]


def test_on_a_device_an_app_path_is_refused_saying_what_is_required(tmp_path):
    from pytest_iosmem.run import IosMemRun

    class Device:
        kind = "device"

    run = IosMemRun.__new__(IosMemRun)  # only the base resolution is exercised: no target is created
    run.settings = type("S", (), {"app": HEAD_ID})()
    run._base_bundles, run._target = {}, Device()
    with pytest.raises(UsageError, match="provisioning profile that covers its bundle id.*install the base under "
                                         "its own bundle id"):
        run._base_bundle_id(str(tmp_path / "Shop.app"))
    with pytest.raises(UsageError, match="the same bundle id as --iosmem-app"):
        run._base_bundle_id(HEAD_ID)
    assert run._base_bundle_id("com.example.shop.base") == "com.example.shop.base"
