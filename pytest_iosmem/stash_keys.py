"""The keys under which the plugin keeps its state on pytest's config and items.

In a module of their own so that the hook module and the A/B trial protocol share
them without importing each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .results import GateResult
    from .run import IosMemRun

__all__ = ["RUN_KEY", "POLICY_KEY", "RESULT_KEY", "BUILD_KEY", "LIFECYCLE_KEY"]

#: the run's state (config.stash)
RUN_KEY = pytest.StashKey["IosMemRun"]()
#: a gated test's limits, parsed at collection (item.stash)
POLICY_KEY = pytest.StashKey[Any]()
#: a judged test's typed result (item.stash), serialised onto its call report
RESULT_KEY = pytest.StashKey["GateResult"]()
#: which build an A/B trial launches (item.stash): "base" or "head"
BUILD_KEY = pytest.StashKey[str]()
#: the app's lifecycle through the test's Appium session, when it has one (item.stash; appium_glue.py)
LIFECYCLE_KEY = pytest.StashKey[Any]()
