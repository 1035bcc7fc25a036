"""The whole storagekit conformance suite, run by a plugin against its own driver."""

from __future__ import annotations

import pytest

from storagekit.base import StorageDriver
from storagekit.providers import get_driver
from storagekit.testing import ConformanceTests


class TestAcmeStorage(ConformanceTests):
    @pytest.fixture(scope="class")
    @classmethod
    def driver(cls) -> StorageDriver:
        """One driver for the class (the listing tests fill one container per class)."""
        return get_driver("acme")()

    @pytest.fixture
    def server_gaps(self) -> dict[str, str]:
        """Tests Acme is known to fail, with the reason: they run as strict xfails. None here."""
        return {}
