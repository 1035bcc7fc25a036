"""Fixtures of the Azure integration tests: a container on Azurite and the SDK's view of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.storage.blob import BlobServiceClient, ContainerClient

from storagekit.drivers.azure_blobs import AzureBlobsStorageDriver
from storagekit.models import Container
from tests.conformance.conftest import empty_and_delete, unique_name
from tests.support.azure_blobs import Azurite


@pytest.fixture
def driver(azure_blobs_driver: AzureBlobsStorageDriver) -> AzureBlobsStorageDriver:
    return azure_blobs_driver


@pytest.fixture
def container(driver: AzureBlobsStorageDriver) -> Iterator[Container]:
    created = driver.create_container(unique_name("az"))
    yield created
    empty_and_delete(created)


@pytest.fixture
def sdk(azurite: Azurite, container: Container) -> ContainerClient:
    """azure-storage-blob's client for the same container (tests only: the library never imports it)."""
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    return service.get_container_client(container.name)
