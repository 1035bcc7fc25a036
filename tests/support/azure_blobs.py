"""Fixtures: a real Azurite 3.35.0 blob server for the session, and drivers on it.

Azurite comes from ``$STORAGEKIT_AZURITE`` (a path to ``azurite-blob``) if set, else from
``<repo>/.cache/npm``, where it is installed with npm on first use (``.cache/`` is
git-ignored). Node.js and npm must be installed; the fixture fails saying so if not.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storagekit.drivers.azure_blobs import AzureBlobsStorageDriver
from tests.support.servers import Azurite, azurite_binary, start_azurite

__all__ = ["Azurite"]

@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """Azurite on a free port with a fresh workspace, stopped after the session."""
    try:
        azurite_binary()  # installs Azurite with npm on first use
    except RuntimeError as error:  # Node.js or npm missing, or npm failed: a failure that says why
        pytest.fail(str(error))
    with start_azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server


@pytest.fixture(scope="session")
def azure_blobs_driver(azurite: Azurite) -> AzureBlobsStorageDriver:
    driver: AzureBlobsStorageDriver = azurite.driver()  # type: ignore[assignment]
    driver.list_page_size = 1000  # so the conformance listing (2,604 blobs) crosses pages
    return driver


@pytest.fixture(scope="session")
def azure_blobs_server_gaps() -> dict[str, str]:
    """Conformance tests Azurite 3.35 gets wrong (none known)."""
    return {}
