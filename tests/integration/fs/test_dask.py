"""``dask.dataframe.read_parquet`` reads a directory of 20 parquet files on SeaweedFS through a
``storagekit://`` URL with a ``distributed`` LocalCluster of two worker processes: the filesystem
is pickled to the workers, which do the reading."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from storagekit.base import StorageDriver
from tests.support.fs import filesystem_for

FILES = 20
ROWS = 2000


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """Two worker processes of one thread each (the workers import storagekit afresh)."""
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster) as connected:
        yield connected


@pytest.fixture
def directory(s3_driver: StorageDriver) -> Iterator[tuple[str, dict[str, Any], pd.DataFrame]]:
    """(the URL of a directory of 20 parquet files, their storage_options, the frame they hold)."""
    fs = filesystem_for(s3_driver)
    options = {name: value for name, value in fs.storage_options.items() if name != "scheme"}
    container = s3_driver.create_container(f"dask-{uuid.uuid4().hex[:12]}")
    generator = np.random.default_rng(20)
    parts = [pd.DataFrame({"part": np.full(ROWS, index, dtype="int64"), "value": generator.random(ROWS)})
             for index in range(FILES)]
    for index, part in enumerate(parts):
        fs.pipe_file(f"{container.name}/table/part-{index:02d}.parquet", part.to_parquet(index=False))
    yield f"storagekit://{fs.scheme}/{container.name}/table", options, pd.concat(parts, ignore_index=True)
    for obj in s3_driver.list_container_objects(container):
        s3_driver.delete_object(obj)
    s3_driver.delete_container(container)


def _with_reader(frame: pd.DataFrame) -> pd.DataFrame:
    """The partition with the id of the process that read it."""
    return frame.assign(pid=os.getpid())


def test_read_parquet_of_a_directory_on_two_worker_processes(
    client: Client, directory: tuple[str, dict[str, Any], pd.DataFrame]
) -> None:
    url, options, expected = directory
    frame = dd.read_parquet(url, storage_options=options)
    assert frame.npartitions == FILES
    result = frame.map_partitions(_with_reader).compute().sort_values(["part"], kind="stable")
    pd.testing.assert_frame_equal(result[["part", "value"]].reset_index(drop=True), expected, check_dtype=False)
    readers = set(result["pid"])
    workers = set(client.run(os.getpid).values())
    assert readers <= workers and os.getpid() not in readers and len(workers) == 2
