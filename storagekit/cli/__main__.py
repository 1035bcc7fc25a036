"""``python -m storagekit.cli``: the same as the ``storagekit`` command."""

import sys

from . import main

sys.exit(main())
