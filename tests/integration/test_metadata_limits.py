"""Each provider's user-metadata limit against its real test server: metadata of exactly the limit
is stored and read back; one byte more is refused before sending, and nothing is stored.

Not GCS: fake-gcs-server keeps metadata in extended attributes, which this machine's file
system caps below GCS's 8 KiB (``no space left on device``); GCS's limit is checked against a
local server that records requests in ``tests/unit/test_base.py``.
"""

from __future__ import annotations

import uuid

import pytest

from storagekit.base import StorageDriver
from storagekit.types import InvalidOptionError

CLOUDS = ["s3", "azure_blobs"]


@pytest.fixture(params=CLOUDS)
def cloud(request: pytest.FixtureRequest) -> StorageDriver:
    return request.getfixturevalue(f"{request.param}_driver")  # type: ignore[no-any-return]


def metadata_of(size: int) -> dict[str, str]:
    """Names and values adding up to ``size`` bytes, in 200-byte values (under every per-value limit)."""
    meta, left, number = {}, size, 0
    while left:
        name = f"m{number:03d}"
        value = "v" * min(200, left - len(name))
        meta[name] = value
        left -= len(name) + len(value)
        number += 1
    return meta


def test_metadata_at_the_limit_is_kept_and_over_it_is_refused(cloud: StorageDriver) -> None:
    limit = cloud.metadata_limit
    assert limit is not None
    container = cloud.create_container(f"sk-meta-{uuid.uuid4().hex[:12]}")
    try:
        at_limit = metadata_of(limit)
        assert sum(len(k) + len(v) for k, v in at_limit.items()) == limit
        obj = cloud.upload_object_via_stream(iter([b"abc"]), container, "at-limit.txt", ex_meta=at_limit)
        assert cloud.get_object(container.name, obj.name).meta_data == at_limit
        with pytest.raises(InvalidOptionError, match=f"at most {limit}"):
            cloud.upload_object_via_stream(iter([b"abc"]), container, "over.txt", ex_meta=metadata_of(limit + 1))
        assert [o.name for o in cloud.list_container_objects(container)] == ["at-limit.txt"]
    finally:
        for leftover in cloud.list_container_objects(container):
            leftover.delete()
        cloud.delete_container(container)
