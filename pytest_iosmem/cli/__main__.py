"""``python -m pytest_iosmem.cli``: the same as the ``iosmem`` command."""

import sys

from . import main

sys.exit(main())
