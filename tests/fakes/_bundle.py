"""Shared by the ``codesign`` and ``xcrun`` stand-ins: a bundle's seal, and whether it still holds.

Signing a bundle writes ``_CodeSignature/CodeResources``; here it holds the SHA-256 of every
file of the bundle outside ``_CodeSignature`` (symlinks by target), so an edit made after
signing (a rewritten Info.plist) breaks the seal as it does for the real one.
"""
import hashlib
import json
import os


def digest(bundle):
    out = {}
    for root, dirs, files in os.walk(bundle):
        dirs[:] = sorted(d for d in dirs if not (root == bundle and d == "_CodeSignature"))
        for name in sorted(files):
            path = os.path.join(root, name)
            if os.path.islink(path):
                out[os.path.relpath(path, bundle)] = "link:" + os.readlink(path)
            else:
                with open(path, "rb") as fh:
                    out[os.path.relpath(path, bundle)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def seal_path(bundle):
    return os.path.join(bundle, "_CodeSignature", "CodeResources")


def seal(bundle, identity):
    os.makedirs(os.path.dirname(seal_path(bundle)), exist_ok=True)
    with open(seal_path(bundle), "w") as fh:
        json.dump({"identity": identity, "files": digest(bundle)}, fh)


def seal_problem(bundle):
    """None when the bundle's seal holds, else codesign -v's complaint."""
    try:
        with open(seal_path(bundle)) as fh:
            signed = json.load(fh)
    except (OSError, ValueError):
        return "code object is not signed at all"
    if signed.get("files") != digest(bundle):
        return "a sealed resource is missing or invalid"
    return None
