"""Every option a target reads is one the plugin registers, and every registered target option is read.

The plugin registers options from the data-only catalog (targets/catalog.py)
and the general/limit lists (options.py); a target's ``create(ctx)`` reads
them by name (``ctx.option("...")``, ``ctx.flag("...")``).  A name typed
differently on either side would be an option that silently does nothing, or
a target reading an option no one can set.  The names read are found in each
target module's source (all of it: helpers called by ``create`` count too).
"""

import ast
import importlib
from pathlib import Path

import pytest

from pytest_iosmem.options import GENERAL, LIMITS
from pytest_iosmem.targets import TARGET_MODULES
from pytest_iosmem.targets.catalog import OPTIONS_BY_TARGET

REGISTERED = {o.name for o in (*GENERAL, *LIMITS)} | {o.name for opts in OPTIONS_BY_TARGET.values() for o in opts}


def names_read(module_name: str) -> set[str]:
    """String literals passed to ``<something>.option(...)`` / ``.flag(...)`` in a module's source."""
    source = Path(importlib.import_module(module_name).__file__).read_text()
    found = set()
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("option", "flag") and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("kind", sorted(TARGET_MODULES))
def test_every_option_a_target_reads_is_registered(kind):
    unknown = names_read(TARGET_MODULES[kind]) - REGISTERED
    assert unknown == set(), f"the {kind} target reads options nobody can set: {sorted(unknown)}"


@pytest.mark.parametrize("kind", sorted(OPTIONS_BY_TARGET))
def test_every_registered_target_option_is_read_by_its_target(kind):
    unread = {o.name for o in OPTIONS_BY_TARGET[kind]} - names_read(TARGET_MODULES[kind])
    assert unread == set(), f"--iosmem options of the {kind} target that it never reads: {sorted(unread)}"


def test_the_check_itself_sees_reads():
    # A module with a known read, so the two tests above cannot pass by finding nothing.
    assert {"device_udid", "device_memory_warning", "jetsam_limit"} <= names_read(TARGET_MODULES["device"])
