"""Shared fixtures of the GCS integration tests (the server and driver come from tests/support)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from storagekit.drivers.google_storage import GoogleStorageDriver
from storagekit.models import Container
from tests.conformance.conftest import empty_and_delete, unique_name


@pytest.fixture
def bucket(google_storage_driver: GoogleStorageDriver) -> Iterator[Container]:
    created = google_storage_driver.create_container(unique_name("gcs"))
    yield created
    empty_and_delete(created)


class RequestLog:
    """Every request the driver sends while recording: method, URL and headers, no mocking."""

    def __init__(self, session: requests.Session) -> None:
        self.session = session
        self.requests: list[requests.PreparedRequest] = []

    def _hook(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.requests.append(response.request)

    def __enter__(self) -> RequestLog:
        self.session.hooks["response"].append(self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.hooks["response"].remove(self._hook)


@pytest.fixture
def request_log(google_storage_driver: GoogleStorageDriver) -> Iterator[RequestLog]:
    with RequestLog(google_storage_driver.connection.session) as log:
        yield log
