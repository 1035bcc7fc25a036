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



HEAVY = ("google.auth", "azure.core", "lxml", "tqdm", "requests", "storagekit.drivers", "storagekit.sync",
         "storagekit.manifest", "storagekit.http", "storagekit.transport", "storagekit.base", "storagekit.transfer")
"""What the CLI's start must not load: each subcommand imports what it needs when it runs."""

CLI_START = """
import sys
from storagekit.cli import build_parser
build_parser().parse_args(["ls", "local://c"])  # every subcommand's parser is built, none is run
print(",".join(sorted(name for name in sys.modules if name.startswith({heavy!r}))))
"""


def test_the_cli_starts_without_drivers_http_sync_or_provider_libraries() -> None:
    result = subprocess.run([sys.executable, "-c", CLI_START.format(heavy=HEAVY)],
                            capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "", f"loaded by the CLI's start: {result.stdout.strip()}"


LAZY_NAMES = """
import sys
import storagekit
assert "storagekit.base" not in sys.modules, "import storagekit loaded the driver API"
from storagekit import StorageDriver, Object, get_driver, ObjectDoesNotExistError
from storagekit.base import StorageDriver as defined
assert StorageDriver is defined and Object.__module__ == "storagekit.models" and callable(get_driver)
assert {"StorageDriver", "RetryPolicy", "CHUNK_SIZE"} <= set(dir(storagekit))
namespace = {}
exec("from storagekit import *", namespace)
assert set(storagekit.__all__) <= set(namespace)
try:
    storagekit.no_such_name
except AttributeError as error:
    print(error)
"""


def test_the_package_names_are_imported_on_first_use() -> None:
    result = subprocess.run([sys.executable, "-c", LAZY_NAMES], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "module 'storagekit' has no attribute 'no_such_name'"
