"""What every conformance test class shares: a fresh container per test and the known-gaps marker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from ..base import StorageDriver
from ..models import Container
from ..types import StorageKitError


def unique_name(label: str = "sk") -> str:
    """A container name every provider accepts (S3's rules are the strictest).

    Args:
        label: the name's first part, before a random 16-hex-digit suffix.

    Returns:
        ``<label>-<16 hex digits>``.
    """
    return f"{label}-{uuid.uuid4().hex[:16]}"


def empty_and_delete(container: Container) -> None:
    """Delete every object of a container, then the container, ignoring storagekit's errors (cleanup).

    Args:
        container: the container to remove, with the driver it came from.
    """
    driver = container.driver
    try:
        for obj in list(driver.iterate_container_objects(container)):
            driver.delete_object(obj)
        driver.delete_container(container)
    except StorageKitError:
        pass


class DriverTests:
    """Base of the mix-ins: the fixtures every test uses beside the ``driver`` the test module provides."""

    @pytest.fixture
    def server_gaps(self) -> dict[str, str]:
        """Tests the store under test is known to fail: test function name to the reason.

        Override it to declare a gap; the reason should say where the behaviour is tested
        instead. Returns none by default.
        """
        return {}

    @pytest.fixture(autouse=True)
    def _known_server_gaps(self, request: pytest.FixtureRequest, server_gaps: dict[str, str]) -> None:
        """Mark strict xfail the tests listed in ``server_gaps``: the day the store is fixed, the
        test passes and the run fails until the entry is removed."""
        reason = server_gaps.get(getattr(request.node, "originalname", request.node.name))
        if reason:
            request.applymarker(pytest.mark.xfail(strict=True, reason=reason))

    @pytest.fixture
    def container(self, driver: StorageDriver) -> Iterator[Container]:
        """A new empty container, emptied and deleted after the test."""
        created = driver.create_container(unique_name())
        yield created
        empty_and_delete(created)
