"""Fixtures the test modules share."""

from __future__ import annotations

# Preloaded: pytester's in-process runs keep the modules the outer run had imported, and would
# otherwise import hypothesis again (through its pytest plugin) in every inner run, ~1 s each.
import hypothesis  # noqa: F401
