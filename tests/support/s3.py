"""Fixtures: a real SeaweedFS 4.48 S3 server on free loopback ports, SigV4 enforced.

``seaweedfs`` starts ``weed mini`` (from this environment's bin) once per session and
returns its endpoint and keys; ``s3_driver`` is the storagekit driver pointed at it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import requests.adapters
import requests.structures

from storagekit.drivers.s3 import S3StorageDriver
from storagekit.providers import get_driver
from storagekit.types import Provider

from .servers import ServerProcess, free_port, venv_binary

ACCESS_KEY = "storagekit-test-key"
SECRET_KEY = "storagekit-test-secret-0123456789abcdef"
REGION = "us-east-1"


@dataclass(frozen=True)
class SeaweedFS:
    """Where the test S3 server listens and the one identity it accepts."""

    endpoint_url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION

    def driver(self, **options: object) -> S3StorageDriver:
        """A fresh driver for this server (``options`` override the defaults)."""
        arguments: dict[str, object] = {
            "key": self.access_key, "secret": self.secret_key, "region": self.region,
            "endpoint_url": self.endpoint_url, **options,
        }
        return get_driver(Provider.SEAWEEDFS)(**arguments)  # type: ignore[return-value]


def _s3_config() -> dict[str, object]:
    """One admin identity: with any identity configured, SeaweedFS enforces SigV4."""
    return {
        "identities": [
            {
                "name": "storagekit",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }


def _ready(endpoint: str) -> bool:
    """True once the S3 gateway answers (an anonymous request gets an S3 error, not a refusal)."""
    return requests.get(endpoint, timeout=2).status_code in (200, 403)


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """Start SeaweedFS for the session (about 5 s to start and 5 s to stop)."""
    workdir = tmp_path_factory.mktemp("seaweedfs")
    for sub in ("data", "logs"):
        (workdir / sub).mkdir()
    config = workdir / "s3.json"
    config.write_text(json.dumps(_s3_config()))
    port = free_port()
    ports = {
        name: free_port()
        for name in ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
                     "filer.port.grpc", "admin.port", "admin.port.grpc", "s3.port.grpc", "debug.port")
    }
    argv = [
        venv_binary("weed"), f"-logdir={workdir / 'logs'}", "mini", f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-s3.port={port}", f"-s3.config={config}",
        "-s3.allowDeleteBucketNotEmpty=false", "-s3.autoCreateBucket=false", "-webdav=false", "-admin.ui=false",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
        *(f"-{name}={value}" for name, value in ports.items()),
    ]
    server = ServerProcess("seaweedfs", argv, Path(workdir))
    endpoint = f"http://127.0.0.1:{port}"
    try:
        server.wait_until(lambda: _ready(endpoint), timeout=90, what="answering S3 requests")
        yield SeaweedFS(endpoint)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_driver(seaweedfs: SeaweedFS) -> S3StorageDriver:
    return seaweedfs.driver()


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
