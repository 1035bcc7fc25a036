"""A driver pickled into 4 spawned worker processes transfers correctly against the real servers,
and an error raised in a worker reaches the parent as the same exception, fields intact."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import uuid
from collections.abc import Iterator
from multiprocessing.pool import Pool
from pathlib import Path

import pytest

from storagekit.base import StorageDriver
from storagekit.providers import get_driver
from storagekit.types import DriverRef, ObjectDoesNotExistError, Provider
from tests.support.azure_blobs import Azurite
from tests.support.s3 import SeaweedFS
from tests.support.servers import GCS_PROJECT
from tests.support.swift import SwiftServer

WORKERS = 4


def _round_trip(driver: StorageDriver, container_name: str, index: int) -> tuple[str, str, str, int]:
    """In a worker: upload a payload of its own, read it back; (name, md5 sent, md5 read, pid)."""
    payload = f"worker {index} of {driver.provider}\n".encode() * (1000 + index)
    name = f"workers/{index}.txt"
    container = driver.get_container(container_name)
    driver.upload_object_via_stream(iter([payload]), container, name)
    read = b"".join(driver.download_object_as_stream(driver.get_object(container_name, name)))
    return name, hashlib.md5(payload).hexdigest(), hashlib.md5(read).hexdigest(), os.getpid()


def _get_missing(driver: StorageDriver, container_name: str) -> None:
    """In a worker: fail with a storagekit error that must cross back to the parent."""
    driver.get_object(container_name, "no/such/object")


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with multiprocessing.get_context("spawn").Pool(WORKERS) as workers:
        yield workers


@pytest.fixture(params=["s3", "seaweedfs", "minio", "azure", "azure-sas", "gcs", "swift", "swift-token", "local"])
def driver(request: pytest.FixtureRequest, tmp_path: Path) -> StorageDriver:
    kind: str = request.param
    if kind in ("s3", "seaweedfs", "minio"):
        server: SeaweedFS = request.getfixturevalue("seaweedfs")
        provider = {"s3": Provider.S3, "seaweedfs": Provider.SEAWEEDFS, "minio": Provider.MINIO}[kind]
        return get_driver(provider)(server.access_key, server.secret_key, region=server.region,
                                    endpoint_url=server.endpoint_url)
    if kind.startswith("azure"):
        azurite: Azurite = request.getfixturevalue("azurite")
        if kind == "azure":
            return azurite.driver()
        return azurite.driver(key=azurite.account, sas_token=_account_sas(azurite))
    if kind == "gcs":
        return get_driver(Provider.GOOGLE_STORAGE)(credentials="anonymous", project=GCS_PROJECT,
                                                   endpoint_url=request.getfixturevalue("fake_gcs_server"))
    if kind.startswith("swift"):
        swift: SwiftServer = request.getfixturevalue("swift_server")
        if kind == "swift":
            return swift.driver()
        storage_url, token = swift.login()
        return get_driver(Provider.OPENSTACK_SWIFT)(storage_url=storage_url, auth_token=token)
    return get_driver(Provider.LOCAL)(str(tmp_path))


def _account_sas(azurite: Azurite) -> str:
    """An account SAS for every operation, made with the official SDK (a test-only dependency)."""
    from datetime import datetime, timedelta, timezone

    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return generate_account_sas(
        azurite.account, azurite.key, ResourceTypes(service=True, container=True, object=True),
        AccountSasPermissions(read=True, write=True, delete=True, list=True, create=True, add=True),
        datetime.now(timezone.utc) + timedelta(hours=1),
    )


@pytest.fixture
def container_name(driver: StorageDriver) -> Iterator[str]:
    name = f"pickle-{uuid.uuid4().hex[:12]}"
    container = driver.create_container(name)
    yield name
    for obj in driver.list_container_objects(container):
        driver.delete_object(obj)
    driver.delete_container(container)


def test_a_pickled_driver_works_in_spawned_workers(pool: Pool, driver: StorageDriver, container_name: str) -> None:
    driver.get_container(container_name)  # used in the parent first: its pooled connections stay here
    results = pool.starmap(_round_trip, [(driver, container_name, index) for index in range(WORKERS)])
    assert os.getpid() not in {pid for *_, pid in results}
    for name, sent, read, _ in results:
        assert sent == read
        stored = driver.get_object(container_name, name)  # the parent sees what the workers wrote
        assert b"".join(driver.download_object_as_stream(stored)) and stored.size > 0
        assert hashlib.md5(b"".join(driver.download_object_as_stream(stored))).hexdigest() == sent
    assert sorted(obj.name for obj in driver.list_container_objects(driver.get_container(container_name))) == \
        sorted(name for name, *_ in results)


def test_an_error_in_a_worker_reaches_the_parent_whole(pool: Pool, driver: StorageDriver,
                                                       container_name: str) -> None:
    with pytest.raises(ObjectDoesNotExistError) as info:
        pool.apply(_get_missing, (driver, container_name))
    error = info.value
    assert (error.container_name, error.object_name) == (container_name, "no/such/object")
    assert error.driver == DriverRef(driver.name, str(driver.provider))
    if driver.provider is not Provider.LOCAL:
        assert error.http_status == 404
    assert "no/such/object" in str(error) or container_name in str(error)
