"""The conformance suite runs every test here once per driver.

Each driver's fixture module (``tests/support/<driver>.py``) provides ``<driver>_driver``;
a cloud driver's fixture starts its real server for the session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from storagekit.base import StorageDriver
from storagekit.models import Container
from storagekit.types import StorageKitError

DRIVERS = ["memory", "local", "azure_blobs", "s3", "google_storage", "swift"]


@pytest.fixture(scope="module", params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> StorageDriver:
    return request.getfixturevalue(f"{request.param}_driver")  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _known_server_gaps(request: pytest.FixtureRequest) -> None:
    """Mark strict xfail the tests a test server is known to get wrong.

    A driver's fixture module may define ``<driver>_server_gaps``: a dict of test
    function name to the reason (which must say where the behaviour is tested instead).
    Strict: the day the server is fixed, the test passes and the run fails until the
    entry is removed.
    """
    name = getattr(request.node, "callspec", None) and request.node.callspec.params.get("driver")
    if not name:
        return
    try:
        gaps = request.getfixturevalue(f"{name}_server_gaps")
    except pytest.FixtureLookupError:
        return
    reason = gaps.get(request.node.originalname)
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


def unique_name(label: str = "sk") -> str:
    """A container name every provider accepts (S3's rules are the strictest)."""
    return f"{label}-{uuid.uuid4().hex[:16]}"


def empty_and_delete(container: Container) -> None:
    driver = container.driver
    try:
        for obj in list(driver.iterate_container_objects(container)):
            driver.delete_object(obj)
        driver.delete_container(container)
    except StorageKitError:
        pass


@pytest.fixture
def container(driver: StorageDriver) -> Iterator[Container]:
    created = driver.create_container(unique_name())
    yield created
    empty_and_delete(created)
