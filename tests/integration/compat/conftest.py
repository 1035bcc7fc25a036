"""The seeds' examples run once per real store: SeaweedFS (S3), Azurite, fake-gcs-server, local."""

from __future__ import annotations

import uuid

import pytest

STORES = ["aws", "azure", "gcp", "local"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    """Which store a test runs against (its fixtures start the server)."""
    return request.param  # type: ignore[no-any-return]


def unique(label: str) -> str:
    """A bucket name every provider accepts, for a seed's placeholder ``my-bucket``."""
    return f"{label}-{uuid.uuid4().hex[:12]}"
