"""pytest-iosmem: iOS UI tests as memory regression gates.

The pytest plugin lives in :mod:`pytest_iosmem.plugin`; this package root stays
import-light on purpose (pytest imports it in every run where it is installed).
"""

__version__ = "0.1.0"
