"""Fixtures: a real Azurite 3.35.0 blob server for the session, and drivers on it.

Azurite comes from ``$STORAGEKIT_AZURITE`` (a path to ``azurite-blob``) if set, else from
``<repo>/.cache/npm``, where it is installed with npm on first use (``.cache/`` is
git-ignored). Node.js and npm must be installed; the fixture fails saying so if not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from storagekit.drivers.azure_blobs import AzureBlobsStorageDriver
from storagekit.drivers.azure_blobs._config import EMULATOR_ACCOUNT, EMULATOR_KEY
from tests.support.servers import ServerProcess, free_port

AZURITE_VERSION = "3.35.0"
REPO = Path(__file__).resolve().parents[2]
NPM_PREFIX = REPO / ".cache" / "npm"


@dataclass(frozen=True)
class Azurite:
    """A running Azurite: its blob endpoint, account and (public, documented) key."""

    endpoint: str
    account: str = EMULATOR_ACCOUNT
    key: str = EMULATOR_KEY

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={self.account};AccountKey={self.key};"
                f"BlobEndpoint={self.endpoint};")

    def driver(self, **kwargs: object) -> AzureBlobsStorageDriver:
        """A driver on this Azurite; the account key unless another credential is given."""
        if not {"key", "sas_token", "credential", "connection_string"} & set(kwargs):
            kwargs = {"key": self.account, "secret": self.key, **kwargs}
        return AzureBlobsStorageDriver(**{"endpoint_url": self.endpoint, **kwargs})  # type: ignore[arg-type]


def azurite_binary() -> str:
    """The ``azurite-blob`` to run, installing Azurite with npm into ``.cache/npm`` if needed."""
    configured = os.environ.get("STORAGEKIT_AZURITE")
    if configured:
        if not os.path.exists(configured):
            pytest.fail(f"STORAGEKIT_AZURITE={configured} does not exist")
        return configured
    binary = NPM_PREFIX / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        missing = [tool for tool in ("node", "npm") if not shutil.which(tool)]
        if missing:
            pytest.fail(f"Azurite {AZURITE_VERSION} needs Node.js (18 or 20) and npm, but {' and '.join(missing)} "
                        "is not installed; install them, or set STORAGEKIT_AZURITE to an azurite-blob binary")
        result = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NPM_PREFIX), f"azurite@{AZURITE_VERSION}"],
            capture_output=True, text=True, timeout=900, check=False,
        )
        if result.returncode != 0 or not binary.exists():
            output = result.stdout[-2000:] + result.stderr[-2000:]
            pytest.fail(f"npm install azurite@{AZURITE_VERSION} failed:\n{output}")
    return str(binary)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """Azurite on a free port with a fresh workspace, stopped after the session."""
    workdir = tmp_path_factory.mktemp("azurite")
    port = free_port()
    server = ServerProcess("azurite", [
        azurite_binary(), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(workdir),
        "--skipApiVersionCheck", "--disableTelemetry", "--silent",
    ], workdir)
    endpoint = f"http://127.0.0.1:{port}/{EMULATOR_ACCOUNT}"
    server.wait_until(lambda: requests.get(f"{endpoint}?comp=list", timeout=2).status_code in (200, 403),
                      timeout=60, what="answering")
    yield Azurite(endpoint)
    server.stop()


@pytest.fixture(scope="session")
def azure_blobs_driver(azurite: Azurite) -> AzureBlobsStorageDriver:
    driver = azurite.driver()
    driver.list_page_size = 1000  # so the conformance listing (2,604 blobs) crosses pages
    return driver


@pytest.fixture(scope="session")
def azure_blobs_server_gaps() -> dict[str, str]:
    """Conformance tests Azurite 3.35 gets wrong (none known)."""
    return {}
