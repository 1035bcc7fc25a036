"""Integration fixtures: a fresh bucket on the session's SeaweedFS, and boto3 pointed at it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from storagekit.drivers.s3 import S3StorageDriver
from storagekit.models import Container
from tests.support.s3 import SeaweedFS


def empty_and_delete(driver: S3StorageDriver, container: Container) -> None:
    for upload in driver.ex_iterate_multipart_uploads(container):
        driver._multipart_abort(upload)
    assert driver.delete_objects(list(driver.iterate_container_objects(container))) == []
    driver.delete_container(container)


@pytest.fixture
def bucket(s3_driver: S3StorageDriver) -> Iterator[Container]:
    container = s3_driver.create_container(f"sk-{uuid.uuid4().hex[:16]}")
    yield container
    empty_and_delete(s3_driver, container)


@pytest.fixture(scope="session")
def boto3_client(seaweedfs: SeaweedFS) -> Any:
    return boto3.client(
        "s3", endpoint_url=seaweedfs.endpoint_url, aws_access_key_id=seaweedfs.access_key,
        aws_secret_access_key=seaweedfs.secret_key, region_name=seaweedfs.region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )
