"""Dask is an extra: the core, the sync engine, the CLI and even this package import without it."""

from __future__ import annotations

import subprocess
import sys


def test_nothing_imports_dask_until_a_run_starts() -> None:
    code = ("import sys, storagekit, storagekit.sync, storagekit.cli, storagekit.distributed\n"
            "loaded = sorted(name for name in sys.modules if name.split('.')[0] in ('dask', 'distributed'))\n"
            "assert not loaded, loaded\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
