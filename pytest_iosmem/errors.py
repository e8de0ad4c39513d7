"""The project's own errors: each one says what went wrong and what to do."""

from __future__ import annotations

__all__ = [
    "IosMemError",
    "UsageError",
    "TargetError",
    "TargetUnavailable",
    "ReadFailed",
    "NotSupported",
    "WarningUnconfirmed",
    "BaselineError",
    "ParseError",
]


class IosMemError(Exception):
    """Base class of every error pytest-iosmem raises on purpose."""


class UsageError(IosMemError):
    """Bad option, ini value or marker argument (maps to pytest's usage error / exit 2)."""


class TargetError(IosMemError):
    """A target could not do what was asked (launch, read, terminate, ...)."""


class TargetUnavailable(TargetError):
    """The target cannot be used on this host (no Xcode, no device, ...)."""


class ReadFailed(TargetError):
    """One footprint read failed; the sampler records a gap and carries on."""


class NotSupported(TargetError):
    """The target has no honest way to do this (e.g. memory warning on a device)."""


class WarningUnconfirmed(NotSupported):
    """A memory warning was sent but nothing showed the app received it: the reclaim check is not run."""


class BaselineError(IosMemError):
    """A baseline file is corrupt, of an unknown version, or cannot be written."""


class ParseError(IosMemError):
    """Output of an external tool did not have the expected shape."""

    def __init__(self, tool: str, message: str, text: str | None = None) -> None:
        snippet = ""
        if text is not None:
            head = text.strip().splitlines()[:3]
            snippet = " (starts with: " + " | ".join(h[:80] for h in head) + ")" if head else " (empty output)"
        super().__init__(f"cannot parse {tool} output: {message}{snippet}")
        self.tool = tool


class RepeatConflict(IosMemError):
    """A test body called ``iosmem.iterations()`` while ``--iosmem-repeat`` was already looping it."""
