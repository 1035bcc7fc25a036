"""Credentials that expire mid-job, for real: instance-metadata credentials (issued by moto's STS,
IAM checks on) that live four seconds, under a transfer and a job that outlive several of them,
with no error and exactly one refresh per credential generation."""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from storagekit.drivers.s3 import S3StorageDriver
from storagekit.providers import get_driver
from storagekit.types import Provider
from tests.support.aws_metadata import AwsMetadataServer
from tests.support.moto_server import MotoAws

LIFETIME = 4.0
THREADS = 8


@pytest.fixture
def metadata(moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AwsMetadataServer]:
    """No keys anywhere; the instance metadata test server hands out 4-second credentials."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_aws.url)
    with AwsMetadataServer(issue=moto_aws.issue, lifetime=LIFETIME, delay=0.2) as server:
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url)
        yield server


def assert_one_refresh_per_generation(driver: S3StorageDriver, metadata: AwsMetadataServer, expiries: int) -> None:
    """Every load reached the server once, with its own IMDSv2 token, never two at a time, and
    never before the previous generation's advisory window (half its lifetime: over 1.5 s)."""
    assert driver._credentials is not None
    assert metadata.credential_requests > expiries
    assert driver._credentials.refreshes == metadata.credential_requests == metadata.token_requests
    assert metadata.max_in_flight == 1
    gaps = [later - earlier for earlier, later in itertools.pairwise(metadata.issued_at)]
    assert min(gaps) > 1.0, gaps


def test_a_throttled_download_spans_three_expiries(metadata: AwsMetadataServer, tmp_path: Path) -> None:
    driver: S3StorageDriver = get_driver(Provider.S3)(region="us-east-1")  # type: ignore[assignment]
    container = driver.create_container(f"refresh-{uuid.uuid4().hex[:12]}")
    data = os.urandom(4 * 1024 * 1024)
    obj = driver.upload_object_via_stream(iter([data]), container, "big.bin")
    first = metadata.issued_at[0]

    def throttle(done: int, total: int | None) -> None:
        """Hold the transfer back until it has lasted three lifetimes, spread over its blocks."""
        time.sleep(max(0.0, first + (3 * LIFETIME + 1) * done / (total or 1) - time.monotonic()))

    driver.download_object(obj, tmp_path / "big.bin", part_size=32 * 1024, max_concurrency=THREADS,
                           progress=throttle)
    assert (tmp_path / "big.bin").read_bytes() == data
    assert_one_refresh_per_generation(driver, metadata, expiries=3)


def test_eight_threads_keep_writing_across_expiries(metadata: AwsMetadataServer) -> None:
    driver: S3StorageDriver = get_driver(Provider.S3)(region="us-east-1")  # type: ignore[assignment]
    container = driver.create_container(f"refresh-{uuid.uuid4().hex[:12]}")
    errors: list[BaseException] = []
    deadline = time.monotonic() + 120  # a bound, not an assertion: the loop ends on the count below

    def work(number: int) -> None:
        try:
            for step in itertools.count():
                if metadata.credential_requests > 4 or time.monotonic() > deadline or errors:
                    return
                name = f"t{number}/{step}"
                driver.upload_object_via_stream(iter([b"x" * 1024]), container, name)
                assert b"".join(driver.download_object_as_stream(driver.get_object(container.name, name)))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(150)
    assert errors == []
    assert_one_refresh_per_generation(driver, metadata, expiries=3)
