"""What importing storagekit costs: no ``requests`` on the core path (google-auth alone needs it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import sys
import storagekit
from storagekit.providers import get_driver
get_driver({provider!r})
heavy = sorted(name for name in sys.modules if name.split(".")[0] in ("requests", "urllib3", "charset_normalizer"))
print(",".join(heavy))
"""


@pytest.mark.parametrize("provider", ["s3", "azure_blobs", "local", "memory"])
def test_the_core_path_imports_no_requests(provider: str) -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", CHECK.format(provider=provider)],
                            capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "", f"imported by storagekit + {provider}: {result.stdout.strip()}"
    assert "storagekit.http" in result.stderr  # the import log covers the HTTP layer

