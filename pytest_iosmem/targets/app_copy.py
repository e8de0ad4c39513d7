"""The base build beside the head on one simulator: a copy of its ``.app`` under a derived bundle id.

A simulator holds one app per bundle identifier, and the base and head builds of
one app share theirs.  So the base build's ``.app`` (or a zip of it, as CI
uploads it) is copied, its ``Info.plist``'s ``CFBundleIdentifier`` gets a suffix
(the plist rewritten in the format it came in, binary or XML, by ``plistlib``),
and the copy is re-signed ad hoc (``codesign --force --sign -``: the edit broke
the build's signature, and the Simulator accepts an ad hoc one).  The simulator
target installs it, the A/B trials launch it by the derived id, and the run
uninstalls it at its end, cancelled or not.

On a device this cannot be done here: an app must carry a signature from a
provisioning profile that covers its bundle id, so the base build must be
built, signed and installed under its own bundle id by the team.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import stat
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import TargetError, UsageError

__all__ = ["BASE_SUFFIX", "BundleCopy", "is_app_source", "unpack", "rewrite_bundle_id", "codesign_adhoc", "prepare_copy"]

#: appended to the base build's bundle id: ``com.example.app`` -> ``com.example.app.iosmem-base``
BASE_SUFFIX = ".iosmem-base"


@dataclass(frozen=True)
class BundleCopy:
    """The installable copy: where it is, the bundle id it now has and the one it had."""

    path: Path
    bundle_id: str
    original_id: str


def is_app_source(value: str) -> bool:
    """True when ``--iosmem-base-app`` names a build on disk (an ``.app`` or a ``.zip``), not a bundle id."""
    v = value.rstrip("/")
    return v.endswith((".app", ".zip")) and ("/" in v or os.path.exists(v))


def _extract(archive: Path, into: Path) -> None:
    """``unzip``, keeping each file's mode (an app's executable must stay executable) and symlinks (frameworks)."""
    root = into.resolve()
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            dest = (into / info.filename).resolve()
            if dest != root and root not in dest.parents:
                raise UsageError(f"--iosmem-base-app {archive}: the zip entry {info.filename!r} points outside the archive")
            mode = info.external_attr >> 16
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                os.symlink(zf.read(info).decode("utf-8"), dest)
                continue
            with zf.open(info) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
            if mode & 0o777:
                os.chmod(dest, mode & 0o777)


def unpack(source: Path, into: Path) -> Path:
    """A copy of the ``.app`` in ``source`` (the bundle itself, or a zip holding one, e.g. under ``Payload/``)."""
    if source.suffix == ".zip":
        if not source.is_file():
            raise UsageError(f"--iosmem-base-app {source}: no such zip file")
        unzipped = into / "unzipped"
        try:
            _extract(source, unzipped)
        except zipfile.BadZipFile as exc:
            raise UsageError(f"--iosmem-base-app {source}: not a zip file ({exc})") from None
        apps = sorted(p for p in unzipped.rglob("*.app") if p.is_dir() and not any(q.suffix == ".app" for q in p.parents))
        if len(apps) != 1:
            found = ", ".join(str(a.relative_to(unzipped)) for a in apps) or "none"
            raise UsageError(f"--iosmem-base-app {source}: the zip must hold one .app bundle, found {found}")
        app = apps[0]
    else:
        if not source.is_dir():
            raise UsageError(f"--iosmem-base-app {source}: no such .app directory "
                             "(the base build for the simulator: xcodebuild -sdk iphonesimulator ...)")
        app = source
    copy = into / app.name
    shutil.copytree(app, copy, symlinks=True)
    return copy


def rewrite_bundle_id(app: Path, suffix: str = BASE_SUFFIX) -> tuple[str, str]:
    """Give the bundle at ``app`` the id ``<its id><suffix>``; returns (original, new).

    The plist is written back in its own format: Xcode writes binary plists into
    built apps, hand-made ones are XML; ``plistlib`` reads and writes both.
    """
    info = app / "Info.plist"
    try:
        raw = info.read_bytes()
    except OSError as exc:
        raise UsageError(f"--iosmem-base-app: {info}: {exc.strerror or exc} (an iOS .app has Info.plist at its top)") from None
    fmt = plistlib.FMT_BINARY if raw.startswith(b"bplist00") else plistlib.FMT_XML
    try:
        doc = plistlib.loads(raw)
    except Exception as exc:  # plistlib raises InvalidFileException, ValueError, ExpatError...
        raise UsageError(f"--iosmem-base-app: {info} is not a property list ({exc})") from None
    original = doc.get("CFBundleIdentifier") if isinstance(doc, dict) else None
    if not isinstance(original, str) or not original:
        raise UsageError(f"--iosmem-base-app: {info} has no CFBundleIdentifier")
    new = original if original.endswith(suffix) else original + suffix
    doc["CFBundleIdentifier"] = new
    info.write_bytes(plistlib.dumps(doc, fmt=fmt))
    return original, new


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def codesign_adhoc(app: Path, run: Runner = subprocess.run) -> None:
    """``codesign --force --sign - APP``: replace the signature the edit broke with an ad hoc one."""
    argv = ["codesign", "--force", "--sign", "-", str(app)]
    try:
        proc = run(argv, capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        raise TargetError("no 'codesign' on PATH: re-signing the base build's copy needs macOS's codesign "
                          "(Xcode's command line tools)") from None
    if proc.returncode != 0:
        said = " | ".join((proc.stderr or proc.stdout or "no output").strip().splitlines()[-3:])
        raise TargetError(f"'{' '.join(argv)}' failed (exit {proc.returncode}): {said}")


def prepare_copy(source: str, workdir: Path, suffix: str = BASE_SUFFIX, run: Runner = subprocess.run) -> BundleCopy:
    """Copy (or unzip), rename and re-sign the base build in ``workdir``: ready for ``simctl install``."""
    workdir.mkdir(parents=True, exist_ok=True)
    app = unpack(Path(source).expanduser(), workdir)
    original, new = rewrite_bundle_id(app, suffix)
    codesign_adhoc(app, run)
    return BundleCopy(app, new, original)
