"""Fixture: a local-filesystem driver rooted in a fresh temp directory."""

from __future__ import annotations

import pytest

from storagekit.drivers.local import LocalStorageDriver
from storagekit.providers import get_driver
from storagekit.types import Provider


@pytest.fixture(scope="session")
def local_driver(tmp_path_factory: pytest.TempPathFactory) -> LocalStorageDriver:
    return get_driver(Provider.LOCAL)(str(tmp_path_factory.mktemp("local-root")))  # type: ignore[return-value]
