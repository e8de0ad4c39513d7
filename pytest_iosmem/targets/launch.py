"""What exactly an A/B run launches for each build on the local target, and whether the two differ.

An A/B verdict is only about the builds when everything else is equal: the same
interpreter (its path, not only its version: a venv's ``python`` and the one it
was made from import different ``site`` trees, which moved the reference app by
2%), the same working directory (``python -m`` puts it ahead of ``PYTHONPATH``,
so a checkout there made the base import the head's code), the same environment
and arguments except what is the build's own.  So both builds are launched by
one :class:`Launch` each, from a neutral working directory, and
:func:`differences` names anything else that differs, for the run to refuse
(or, asked to, warn about).

Two forms of ``--iosmem-base-app``:

- a **directory** (the base build's source, e.g. a ``git worktree`` of the base
  commit): the head's own command runs for both builds; each build's own is its
  ``PYTHONPATH``, which names its code through a link of the same length
  (``<links>/base``, ``<links>/head``): the path is in every code object's file
  name, and two checkouts of one commit whose paths differed by six characters
  read 180 KB (1.2%) apart;
- a **command**: the base's command line; its arguments and a native
  executable are the build's own, but a Python interpreter must be the head's,
  and the environment (``env K=V`` prefixes too) the same.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

__all__ = ["Interpreter", "Launch", "probe_interpreter", "plan_launch", "differences", "split_env_prefix"]

_PYTHON = re.compile(r"^(python|pypy)[0-9.]*$")


@dataclass(frozen=True)
class Interpreter:
    """The Python that runs an app: its path as launched, implementation, version and prefix (a venv's own)."""

    path: str
    implementation: str
    version: str
    prefix: str

    def describe(self) -> str:
        return f"{self.implementation} {self.version} ({self.path}, prefix {self.prefix})"


@dataclass(frozen=True)
class Launch:
    """One build's launch: the command as run, its working directory, the variables set for it, its Python."""

    build: str
    command: tuple[str, ...]
    cwd: str
    env: Mapping[str, str] = field(default_factory=dict)
    interpreter: Interpreter | None = None
    #: what may differ between the builds because it *is* the build: "PYTHONPATH" or "command arguments"
    own: str = ""
    #: the directory form: the build's code directory (``PYTHONPATH`` names it through a link of equal length)
    source: str = ""

    def describe(self) -> str:
        """``command ...; CPython 3.11.7 (...); cwd /tmp/...; env PYTHONPATH=...``: what a reviewer needs."""
        parts = [shlex.join(self.command)]
        if self.interpreter is not None:
            parts.append(self.interpreter.describe())
        parts.append(f"cwd {self.cwd}")
        if self.source:
            parts.append(f"code from {self.source}")
        if self.env:
            parts.append("env " + " ".join(f"{k}={v}" for k, v in sorted(self.env.items())))
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": list(self.command), "cwd": self.cwd, "env": dict(self.env), "own": self.own,
            "source": self.source,
            "interpreter": None if self.interpreter is None else {
                "path": self.interpreter.path, "implementation": self.interpreter.implementation,
                "version": self.interpreter.version, "prefix": self.interpreter.prefix},
            "describe": self.describe(),
        }


def split_env_prefix(argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """``env A=1 B=2 cmd ...`` -> ({A: 1, B: 2}, [cmd, ...]) (env(1)'s assignments; other argv unchanged)."""
    args = list(argv)
    env: dict[str, str] = {}
    if args and os.path.basename(args[0]) == "env":
        args = args[1:]
        while args and "=" in args[0] and not args[0].startswith("-"):
            key, _, value = args.pop(0).partition("=")
            env[key] = value
    return env, args


def _absolute_paths(value: str, where: str) -> str:
    """A ``PYTHONPATH``'s relative entries made absolute (the app runs in another directory)."""
    return os.pathsep.join(os.path.abspath(os.path.join(where, p)) if p else p for p in value.split(os.pathsep))


def _resolve(executable: str, env: Mapping[str, str], where: str) -> str:
    """The executable as a path: relative to ``where`` if it has a slash, else found on the app's PATH."""
    if os.sep in executable:
        return os.path.abspath(os.path.join(where, executable))
    return shutil.which(executable, path=env.get("PATH", os.environ.get("PATH", os.defpath))) or executable


@functools.lru_cache(maxsize=16)
def probe_interpreter(path: str) -> Interpreter | None:
    """Ask the Python at ``path`` what it is (None: not a Python, or it did not answer)."""
    code = "import platform, sys; print(platform.python_implementation()); print(platform.python_version()); print(sys.prefix)"
    try:
        out = subprocess.run([path, "-c", code], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = out.stdout.splitlines()
    if out.returncode != 0 or len(lines) < 3:
        return None
    return Interpreter(path, lines[0], lines[1], lines[2])


def _is_python(path: str) -> bool:
    if _PYTHON.match(os.path.basename(path)):
        return True
    try:
        return os.path.samefile(path, sys.executable)
    except OSError:
        return False


def plan_launch(build: str, argv: Sequence[str], cwd: str, where: str, env: Mapping[str, str] | None = None,
                own: str = "", source: str = "") -> Launch:
    """The launch of ``argv`` (an ``env`` prefix folded into the environment) in ``cwd``.

    ``where``: the directory relative paths in the command were written against
    (pytest's invocation directory); ``env``: the variables the run sets for this build.
    """
    prefix, args = split_env_prefix(argv)
    variables = {**prefix, **(env or {})}
    if "PYTHONPATH" in variables:
        variables["PYTHONPATH"] = _absolute_paths(variables["PYTHONPATH"], where)
    if not args:
        raise ValueError(f"no command to launch in {shlex.join(argv)!r}")
    exe = _resolve(args[0], {**os.environ, **variables}, where)
    interpreter = probe_interpreter(exe) if _is_python(exe) else None
    return Launch(build, (exe, *args[1:]), cwd, variables, interpreter, own, source)


def differences(base: Launch, head: Launch) -> list[str]:
    """What differs between the two launches beyond the build's own (empty: launched alike)."""
    out: list[str] = []
    if base.cwd != head.cwd:
        out.append(f"working directory: base {base.cwd}, head {head.cwd}")
    bi, hi = base.interpreter, head.interpreter
    if (bi is None) != (hi is None):
        which = "base" if bi is not None else "head"
        out.append(f"interpreter: only the {which} runs in Python ({(bi or hi).describe()})")  # type: ignore[union-attr]
    elif bi is not None and hi is not None and bi != hi:
        out.append(f"interpreter: base {bi.describe()}, head {hi.describe()}")
    own_keys = {"PYTHONPATH"} if base.own == "PYTHONPATH" else set()
    for key in sorted(set(base.env) | set(head.env)):
        b, h = base.env.get(key), head.env.get(key)
        if key in own_keys or b == h:
            continue
        if key == "PYTHONPATH" and b is not None and h is not None:
            continue  # both set: where each build's code is (setting it at all moves the footprint)
        out.append(f"environment {key}: base {'not set' if b is None else repr(b)}, head {'not set' if h is None else repr(h)}")
    if base.own == "PYTHONPATH" and base.command != head.command:
        out.append(f"command: base {shlex.join(base.command)!r}, head {shlex.join(head.command)!r}")
    return out
