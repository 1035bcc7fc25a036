"""A whole bucket moved by a 3-process Dask cluster: SeaweedFS to Azurite, a directory to
fake-gcs-server. The destination is byte-identical and the report exact. (A second run's cost,
one listing comparison per shard, is tested by test_failures.py's resumed run.)"""

from __future__ import annotations

import hashlib
import random
from typing import Any

import storagekit.distributed
from storagekit.base import StorageDriver
from storagekit.urls import open_url
from tests.support.azure_blobs import Azurite

from .conftest import JOBS, SHARD_SIZE, Bucket, Tree, azurite_options, gcs_options, listing, new_container


def _identical(driver: StorageDriver, container: str, tree: Tree) -> None:
    """Same names and sizes by listing; same bytes for a sample of 200 small objects and every large one."""
    assert listing(driver, container) == tree.sizes
    sample = random.Random(19).sample([name for name in tree.names if name not in tree.large_md5], 200)
    for name in [*sample, *tree.large_md5]:
        stored = driver.download_object_as_stream(driver.get_object(container, name))
        assert hashlib.md5(b"".join(stored)).hexdigest() == tree.md5(name), name


def _exact(report: Any, tree: Tree) -> None:
    assert report.copied == tree.names
    assert (report.bytes_copied, report.in_sync, report.skipped, report.errors, report.deleted) == \
        (tree.total, [], {}, {}, [])


def test_seaweedfs_to_azurite(dask_client: Any, seaweed_source: Bucket, source_tree: Tree, azurite: Azurite) -> None:
    driver = azurite.driver()
    container = new_container(driver, "dmove")
    options = {"source_options": seaweed_source.options, "destination_options": azurite_options(azurite),
               "shard_size": SHARD_SIZE, "jobs": JOBS, "progress": False}
    report = storagekit.distributed.sync(seaweed_source.url, f"az://{container}", dask_client, **options)
    _exact(report, source_tree)
    _identical(driver, container, source_tree)


def test_directory_to_fake_gcs(dask_client: Any, source_tree: Tree, fake_gcs_server: str) -> None:
    options = gcs_options(fake_gcs_server)
    driver = open_url("gs://x", **options).driver
    container = new_container(driver, "dmove")
    report = storagekit.distributed.sync(str(source_tree.root), f"gs://{container}", dask_client,
                                         shard_size=SHARD_SIZE, jobs=JOBS, progress=False, **options)
    _exact(report, source_tree)
    _identical(driver, container, source_tree)
