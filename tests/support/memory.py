"""Fixture: a fresh in-memory driver."""

from __future__ import annotations

import pytest

from storagekit.base import StorageDriver
from storagekit.providers import get_driver
from storagekit.types import Provider


@pytest.fixture(scope="session")
def memory_driver() -> StorageDriver:
    return get_driver(Provider.MEMORY)()
