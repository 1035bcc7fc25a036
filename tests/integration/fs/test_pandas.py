"""pandas writes and reads parquet and CSV through ``storagekit://`` URLs with ``storage_options``
on SeaweedFS, Azurite and fake-gcs-server: the way a data user reaches storagekit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from storagekit.base import StorageDriver
from tests.support.fs import filesystem_for

FRAME = pd.DataFrame({
    "id": np.arange(5000, dtype="int64"),
    "value": np.random.default_rng(18).random(5000),
    "label": [f"row {n} ünïcödé, \"quoted\"" for n in range(5000)],
})


@pytest.fixture(scope="module", params=["s3", "azure_blobs", "google_storage"])
def location(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, Any], StorageDriver]]:
    """(the ``storagekit://<scheme>/<bucket>`` URL of a fresh bucket, its storage_options, its driver)."""
    driver: StorageDriver = request.getfixturevalue(f"{request.param}_driver")
    fs = filesystem_for(driver)
    options = {name: value for name, value in fs.storage_options.items() if name != "scheme"}
    container = driver.create_container(f"pandas-{uuid.uuid4().hex[:12]}")
    yield f"storagekit://{fs.scheme}/{container.name}", options, driver
    for obj in driver.list_container_objects(container):
        driver.delete_object(obj)
    driver.delete_container(container)


def test_parquet_round_trip(location: tuple[str, dict[str, Any], StorageDriver]) -> None:
    url, options, driver = location
    FRAME.to_parquet(f"{url}/tables/frame.parquet", storage_options=options, index=False)
    stored = driver.get_object(url.rsplit("/", 1)[1], "tables/frame.parquet")
    assert stored.size > 0 and b"".join(driver.download_object_range_as_stream(stored, 0, 4)) == b"PAR1"
    back = pd.read_parquet(f"{url}/tables/frame.parquet", storage_options=options)
    pd.testing.assert_frame_equal(back, FRAME)
    two = pd.read_parquet(f"{url}/tables/frame.parquet", columns=["id", "label"], storage_options=options)
    pd.testing.assert_frame_equal(two, FRAME[["id", "label"]])


def test_csv_round_trip(location: tuple[str, dict[str, Any], StorageDriver]) -> None:
    url, options, driver = location
    FRAME.to_csv(f"{url}/rows/frame.csv", storage_options=options, index=False)
    stored = driver.get_object(url.rsplit("/", 1)[1], "rows/frame.csv")
    assert b"".join(driver.download_object_range_as_stream(stored, 0, 15)) == b"id,value,label\n"
    back = pd.read_csv(f"{url}/rows/frame.csv", storage_options=options)
    pd.testing.assert_frame_equal(back, FRAME, check_exact=False)
