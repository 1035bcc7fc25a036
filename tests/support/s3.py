"""Fixtures: a real SeaweedFS 4.48 S3 server on free loopback ports, SigV4 enforced.

``seaweedfs`` starts ``weed mini`` (from this environment's bin) once per session and
returns its endpoint and keys; ``s3_driver`` is the storagekit driver pointed at it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storagekit.drivers.s3 import S3StorageDriver

from .replay import ReplayTransport, recorded
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


def replay(driver: S3StorageDriver, *names: str) -> ReplayTransport:
    """Answer ``driver``'s requests with recorded responses (``fixtures/s3/<name>.http``), in order."""
    return ReplayTransport.install(driver, *(recorded("s3", name) for name in names))
