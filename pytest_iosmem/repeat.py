"""``--iosmem-repeat N[:WARMUP]``: any gated test becomes a leak check without editing it.

The shape of pytest-leaks' ``-R`` and CPython's ``regrtest -R 3:3``: the body
of every selected gated test runs ``WARMUP + N`` times in one app session,
inside ``iosmem.iterations(N, warmup=WARMUP)``, so the settled footprint (and
the class histogram of the object check) is read after each run and the leak
checks judge them as iterations.

- A body that already calls ``iosmem.iterations()`` is left alone: it runs
  once, and a note and a warning say so.  The call is looked for in the test
  function's code and in the functions it calls by name (helpers in its
  module or imported ones), without running anything.  A call the look
  cannot see (through a fixture, ``getattr``) stops the test with a message
  saying what happened, rather than nesting two loops.
- A body that fails on a repeat fails as itself: its exception propagates
  unchanged (the report says on which run it happened).
"""

from __future__ import annotations

import inspect
import types
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import pytest

from .errors import RepeatConflict, UsageError

if TYPE_CHECKING:
    from .measure import IosMem

__all__ = ["Repeat", "parse_repeat", "calls_iterations", "run_repeated"]


@dataclass(frozen=True)
class Repeat:
    """``n`` measured runs after ``warmup`` warm-up runs."""

    n: int
    warmup: int

    def describe(self) -> str:
        return f"{self.n}:{self.warmup}"


def parse_repeat(value: Any, default_warmup: int) -> Repeat | None:
    """``"6"`` (warm-up: ``--iosmem-warmup``), ``"6:2"``; None/"" when the option is not given."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    n_text, sep, warmup_text = text.partition(":")
    try:
        n = int(n_text)
        warmup = int(warmup_text) if sep else default_warmup
    except ValueError:
        raise UsageError(f"--iosmem-repeat={text!r}: write N or N:WARMUP, e.g. 6 or 6:2") from None
    if n < 1 or warmup < 0:
        raise UsageError(f"--iosmem-repeat={text!r}: N must be at least 1 and WARMUP at least 0")
    return Repeat(n, warmup)


def calls_iterations(func: Callable[..., Any], depth: int = 4) -> bool:
    """Whether ``func`` (or a function it names, to ``depth`` calls deep) reads an ``iterations`` attribute.

    Static: reads code objects' names, runs nothing.  It may say yes for an
    unrelated ``.iterations`` attribute; then the test runs once, as written.
    """
    seen: set[int] = set()

    def visit(code: types.CodeType, globals_: dict[str, Any], level: int) -> bool:
        if id(code) in seen:
            return False
        seen.add(id(code))
        if "iterations" in code.co_names:
            return True
        for const in code.co_consts:  # lambdas, comprehensions, nested functions
            if isinstance(const, types.CodeType) and visit(const, globals_, level):
                return True
        if level >= depth:
            return False
        for name in code.co_names:
            target = inspect.unwrap(globals_[name]) if name in globals_ else None
            if isinstance(target, types.FunctionType) and visit(target.__code__, target.__globals__, level + 1):
                return True
        return False

    func = inspect.unwrap(func)
    code = getattr(func, "__code__", None)
    return code is not None and visit(code, getattr(func, "__globals__", {}), 0)


def run_repeated(item: pytest.Function, mem: "IosMem", repeat: Repeat) -> bool | None:
    """Run ``item``'s body ``repeat.warmup + repeat.n`` times as iterations; True when it did,
    None to let pytest call it once (a body with its own loop, or an async one)."""
    func = item.obj
    if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
        return None
    if calls_iterations(func):
        message = (
            f"--iosmem-repeat {repeat.describe()}: {item.nodeid} calls iosmem.iterations() itself, "
            "so it ran once, as written"
        )
        mem.notes.append(message)
        # located at the test, not at this line of repeat.py: that is where the user looks
        code = getattr(inspect.unwrap(func), "__code__", None)
        if code is not None:
            warnings.warn_explicit(pytest.PytestWarning(message), None, code.co_filename, code.co_firstlineno)
        else:
            warnings.warn(pytest.PytestWarning(message), stacklevel=1)
        return None
    args = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
    total = repeat.n + repeat.warmup
    run = 0
    conflict = None
    try:
        for run in mem.iterations(repeat.n, warmup=repeat.warmup):
            mem.repeating = True  # set after the loop started: the body's own iterations() call is the conflict
            func(**args)
            mem.repeating = False
    except RepeatConflict as exc:
        conflict = str(exc)
    except BaseException:
        mem.notes.append(f"--iosmem-repeat {repeat.describe()}: the test body failed on run {run + 1} of {total}")
        raise
    finally:
        mem.repeating = False
    if conflict:
        pytest.fail(f"iosmem: {conflict}", pytrace=False)
    mem.notes.append(f"--iosmem-repeat {repeat.describe()}: the test body ran {total} times ({repeat.warmup} warm-up)")
    return True
