"""Target options are registered from a data-only catalog; each target module must agree with it."""

import importlib

from pytest_iosmem.targets import TARGET_MODULES
from pytest_iosmem.targets.catalog import OPTIONS_BY_TARGET


def test_every_target_module_declares_the_catalogs_options():
    for kind, module in TARGET_MODULES.items():
        try:
            mod = importlib.import_module(module)
        except ImportError:
            assert kind not in OPTIONS_BY_TARGET, f"{kind} has options but no module"
            continue
        assert tuple(getattr(mod, "OPTIONS", ())) == OPTIONS_BY_TARGET.get(kind, ()), kind
