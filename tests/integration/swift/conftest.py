"""Integration fixtures: a fresh container (and its segment container) on the session's Swift."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest

from storagekit.drivers.swift import SwiftStorageDriver
from storagekit.models import Container
from storagekit.types import ContainerDoesNotExistError


def empty_and_delete(driver: SwiftStorageDriver, name: str) -> None:
    """Delete every object of ``name`` (SLOs with their segments), then it and its segment container."""
    for container in (name, driver.segment_container_for(name)):
        with contextlib.suppress(ContainerDoesNotExistError):
            for obj in driver.list_container_objects(driver._as_container(container)):
                driver.delete_object(obj)
            driver.delete_container(driver._as_container(container))


@pytest.fixture
def container(swift_driver: SwiftStorageDriver) -> Iterator[Container]:
    created = swift_driver.create_container(f"sk-{uuid.uuid4().hex[:16]}")
    yield created
    empty_and_delete(swift_driver, created.name)
