"""Fixtures: a real SeaweedFS 4.48 S3 server on free loopback ports, SigV4 enforced.

``seaweedfs`` starts ``weed mini`` (from this environment's bin) once per session and
returns its endpoint and keys; ``s3_driver`` is the storagekit driver pointed at it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import requests.adapters
import requests.structures

from storagekit.drivers.s3 import S3StorageDriver

from .servers import SeaweedFS, start_seaweedfs

__all__ = ["SeaweedFS"]


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """SeaweedFS for the session (about 5 s to start and 5 s to stop)."""
    with start_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(scope="session")
def s3_driver(seaweedfs: SeaweedFS) -> S3StorageDriver:
    return seaweedfs.driver()  # type: ignore[return-value]


@pytest.fixture(scope="session")
def s3_server_gaps() -> dict[str, str]:
    """Conformance tests SeaweedFS 4.48 gets wrong: none (it even honours conditional writes).

    With ``-s3.autoCreateBucket=false`` it refuses uploads to a missing bucket as S3 does.
    """
    return {}


# ---------------------------------------------------------------------- recorded responses

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "s3"


def recorded(name: str) -> tuple[int, dict[str, str], bytes]:
    """A recorded response from ``fixtures/s3/<name>.http``: status line, headers, blank line, body."""
    raw = (FIXTURES / f"{name}.http").read_bytes()
    head, _, body = raw.partition(b"\n\n")
    status_line, *header_lines = head.decode().splitlines()
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


class ReplayAdapter(requests.adapters.BaseAdapter):
    """A requests transport answering with recorded responses, in order, and keeping each request.

    Mount it on a driver's session: ``ReplayAdapter.install(driver, "slowdown", "put_ok")``.
    """

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.queue = list(names)
        self.requests: list[requests.PreparedRequest] = []

    @classmethod
    def install(cls, driver: S3StorageDriver, *names: str) -> ReplayAdapter:
        adapter = cls(list(names))
        for scheme in ("http://", "https://"):
            driver.connection.session.mount(scheme, adapter)
        return adapter

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:  # type: ignore[override]
        if not self.queue:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        self.requests.append(request)
        status, headers, body = recorded(self.queue.pop(0))
        response = requests.Response()
        response.status_code = status
        response.headers = requests.structures.CaseInsensitiveDict(headers)
        response.raw = io.BytesIO(b"" if request.method == "HEAD" else body)
        response.url = request.url or ""
        response.request = request
        response.reason = "recorded"
        return response

    def close(self) -> None:
        pass
