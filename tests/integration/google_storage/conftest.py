"""Shared fixtures of the GCS integration tests (the server and driver come from tests/support)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storagekit.drivers.google_storage import GoogleStorageDriver
from storagekit.models import Container
from tests.conformance.conftest import empty_and_delete, unique_name
from tests.support.replay import RecordingTransport


@pytest.fixture
def bucket(google_storage_driver: GoogleStorageDriver) -> Iterator[Container]:
    created = google_storage_driver.create_container(unique_name("gcs"))
    yield created
    empty_and_delete(created)


class RequestLog:
    """Every request the driver sends while recording: method, URL and headers, no mocking."""

    def __init__(self, driver: GoogleStorageDriver) -> None:
        self.driver = driver
        self.recording = RecordingTransport(driver.connection.transport)  # type: ignore[arg-type]
        self.requests = self.recording.requests

    def __enter__(self) -> RequestLog:
        self.driver.connection.transport = self.recording  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        self.driver.connection.transport = self.recording.inner


@pytest.fixture
def request_log(google_storage_driver: GoogleStorageDriver) -> Iterator[RequestLog]:
    with RequestLog(google_storage_driver) as log:
        yield log
