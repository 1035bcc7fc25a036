"""Credentials that expire mid-job: a job of 8 threads keeps writing to moto's S3 (IAM checks on)
across several expiries of instance-metadata credentials that live four seconds, with no error
and exactly one refresh per credential generation."""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from pathlib import Path

import pytest

from storagekit.drivers.s3 import S3StorageDriver
from storagekit.providers import get_driver
from storagekit.types import Provider
from tests.support.aws_metadata import AwsMetadataServer
from tests.support.moto_server import MotoAws

LIFETIME = 4.0
GENERATIONS = 5
"""Four refreshes: the job outlives at least three generations of credentials."""
THREADS = 8


def test_a_job_spanning_three_expiries_refreshes_once_per_expiry(
    moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_aws.url)
    with AwsMetadataServer(issue=moto_aws.issue, lifetime=LIFETIME, delay=0.2) as metadata:
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.url)
        driver: S3StorageDriver = get_driver(Provider.S3)(region="us-east-1")  # type: ignore[assignment]
        container = driver.create_container(f"refresh-{uuid.uuid4().hex[:12]}")
        errors: list[BaseException] = []
        deadline = time.monotonic() + 120  # a bound, not an assertion: the loop ends on the count below

        def work(number: int) -> None:
            try:
                step = 0
                while metadata.credential_requests < GENERATIONS and time.monotonic() < deadline and not errors:
                    name = f"t{number}/{step}"
                    driver.upload_object_via_stream(iter([b"x" * 1024]), container, name)
                    assert b"".join(driver.download_object_as_stream(driver.get_object(container.name, name)))
                    step += 1
            except BaseException as error:  # noqa: BLE001 - reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=work, args=(number,)) for number in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(150)
        assert errors == []
        assert metadata.credential_requests >= GENERATIONS
        # exactly one refresh per generation: every load the driver made reached the server once,
        # never two at a time, each with its own IMDSv2 token, and never before the previous
        # generation's advisory window (half its lifetime: more than 1.5 s after it was issued)
        assert driver._credentials is not None
        assert driver._credentials.refreshes == metadata.credential_requests == metadata.token_requests
        assert metadata.max_in_flight == 1
        gaps = [later - earlier for earlier, later in itertools.pairwise(metadata.issued_at)]
        assert min(gaps) > 1.0, gaps
