"""Storagekit's own drivers run the conformance suite (:mod:`storagekit.testing`): every test of
it runs once per driver.

Each driver's fixture module (``tests/support/<driver>.py``) provides ``<driver>_driver``
(a cloud driver's fixture starts its real server for the session) and may provide
``<driver>_server_gaps``, the tests that server is known to get wrong (see :class:`OnEveryDriver`).
"""

from __future__ import annotations

import pytest

from storagekit.base import StorageDriver
from storagekit.testing import empty_and_delete, unique_name

__all__ = ["DRIVERS", "OnEveryDriver", "empty_and_delete", "unique_name"]

DRIVERS = ["memory", "local", "azure_blobs", "s3", "google_storage", "swift"]


@pytest.fixture(scope="module", params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> StorageDriver:
    return request.getfixturevalue(f"{request.param}_driver")  # type: ignore[no-any-return]


class OnEveryDriver:
    """Mixed in before a suite class: its known gaps come from the driver's ``<driver>_server_gaps``
    fixture (test function name to the reason, which must say where the behaviour is tested
    instead), so those tests become strict xfails on that driver only."""

    @pytest.fixture
    def server_gaps(self, request: pytest.FixtureRequest, driver: StorageDriver) -> dict[str, str]:
        name = request.node.callspec.params["driver"]
        try:
            return request.getfixturevalue(f"{name}_server_gaps")  # type: ignore[no-any-return]
        except pytest.FixtureLookupError:
            return {}
