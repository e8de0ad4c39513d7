"""The exception a failed memory gate raises: pytest's own failure, carrying the finding kinds.

It *is* a ``pytest.fail.Exception`` (so pytest, xdist and ``xfail(raises=...)``
treat it as any ``pytest.fail``), plus ``kinds``: which gates failed ("leak",
"growth", "peak", ...).  A failure demonstration can then count as expected
only when its own gate failed for its own reason, not when the target could
not start or WebDriverAgent did not answer (see examples/conftest.py).
"""

from __future__ import annotations

from typing import Iterable

import pytest

__all__ = ["GateFailed", "gate_kinds"]


class GateFailed(pytest.fail.Exception):  # type: ignore[misc,name-defined]
    """A memory gate failed; ``kinds`` names the findings (in the verdict's order)."""

    # As pytest does for its own Failed: the short summary then reads "GateFailed: leak: ...",
    # not "pytest_iosmem.outcome.GateFailed: ...", which truncates away the finding.
    __module__ = "builtins"

    def __init__(self, msg: str, kinds: Iterable[str]) -> None:
        super().__init__(msg, pytrace=False)
        self.kinds = tuple(dict.fromkeys(kinds))


def gate_kinds(exc: BaseException | None) -> tuple[str, ...]:
    """The finding kinds of a gate failure; () for anything else (a setup error, a plain pytest.fail)."""
    return exc.kinds if isinstance(exc, GateFailed) else ()
