"""A distributed run survives what clusters do: a worker SIGKILLed mid-run (its shard is retried
elsewhere, every object is written once, nothing partial), the client interrupted (the next run
copies only the rest), and workers without the credentials (a clear error naming the worker)."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

import storagekit.distributed
from storagekit.sync import SyncInterrupted, SyncProgress
from storagekit.types import TaskFailedError
from storagekit.urls import open_url
from tests.support.azure_blobs import Azurite
from tests.support.dask_cluster import start_cluster
from tests.support.s3 import SeaweedFS

from .conftest import JOBS, SMALL_SHARD_SIZE, Tree, azurite_options, listing, new_container, seaweed_options


def _boto(server: SeaweedFS) -> Any:
    return boto3.client("s3", endpoint_url=server.endpoint_url, aws_access_key_id=server.access_key,
                        aws_secret_access_key=server.secret_key, region_name=server.region)


def _versions(client: Any, bucket: str) -> Counter[str]:
    """How many versions each key has: every write of a versioned bucket is one."""
    counts: Counter[str] = Counter()
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        counts.update(version["Key"] for version in page.get("Versions", []))
    return counts


def test_a_worker_killed_mid_run_is_retried_and_writes_each_object_once(
        dask_client: Any, small_tree: Tree, seaweedfs: SeaweedFS, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)  # boto3 reads it; the server is plain http
    s3 = _boto(seaweedfs)
    bucket = f"dkill-{os.urandom(4).hex()}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    pids: dict[str, int] = dask_client.run(os.getpid)
    killed: list[str] = []

    def kill_one(state: SyncProgress) -> None:
        """Once a shard is done, SIGKILL a worker busy with a later shard (small objects only: a kill
        mid-multipart would leave an upload no one aborts)."""
        if killed:
            return
        for address, keys in dask_client.processing().items():
            if keys and not any(str(key).endswith("-0") for key in keys):
                os.kill(pids[address], signal.SIGKILL)
                killed.append(address)
                return

    report = storagekit.distributed.sync(str(small_tree.root), f"s3://{bucket}", dask_client,
                                         shard_size=SMALL_SHARD_SIZE, jobs=JOBS, progress=kill_one,
                                         **seaweed_options(seaweedfs))
    assert killed
    assert sorted(report.copied + report.in_sync) == small_tree.names  # shards the dead worker began: in_sync
    assert not set(report.copied) & set(report.in_sync) and report.errors == {}
    assert _versions(s3, bucket) == Counter(small_tree.names)  # each object written exactly once
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads") is None  # nothing partial
    assert listing(seaweedfs.driver(), bucket) == small_tree.sizes


def test_an_interrupted_run_started_again_copies_only_the_rest(
        dask_client: Any, small_tree: Tree, tmp_path: Path) -> None:
    """From a directory into a local store (the ends' kinds do not matter here; their speed does, for CI)."""
    destination = "local://resumed/data"
    options = {"destination_options": {"local_root": str(tmp_path / "store")},
               "shard_size": SMALL_SHARD_SIZE, "jobs": JOBS}

    def interrupt(state: SyncProgress) -> None:
        if state.files_done >= 3 * SMALL_SHARD_SIZE:
            raise KeyboardInterrupt

    with pytest.raises(SyncInterrupted) as stopped:
        storagekit.distributed.sync(str(small_tree.root), destination, dask_client, progress=interrupt, create=True,
                                    **options)
    first = stopped.value.report
    assert first.interrupted and len(first.copied) >= 3 * SMALL_SHARD_SIZE
    running = dask_client.run(lambda dask_worker: dask_worker.state.executing_count)
    assert sum(running.values()) == 0  # the cancelled tasks under way finished before the run returned
    driver = open_url(destination, local_root=str(tmp_path / "store")).driver
    present = listing(driver, "resumed")
    assert {f"data/{name}" for name in first.copied} <= set(present) and len(present) < len(small_tree.names)
    second = storagekit.distributed.sync(str(small_tree.root), destination, dask_client, progress=False, **options)
    done = sorted(name[len("data/"):] for name in present)
    assert second.copied == sorted(set(small_tree.names) - set(done))
    assert second.in_sync == done and second.errors == {}
    assert listing(driver, "resumed") == {f"data/{name}": size for name, size in small_tree.sizes.items()}


def test_workers_without_the_profile_fail_naming_the_worker(
        tmp_path: Path, azurite: Azurite, monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import Client

    config = tmp_path / "config.ini"
    settings = azurite_options(azurite)
    config.write_text("[profile migration]\nprovider = azure_blobs\n" +
                      "".join(f"{name} = {value}\n" for name, value in settings.items()))
    config.chmod(0o600)
    monkeypatch.setenv("STORAGEKIT_CONFIG", str(config))  # the client has the profile...
    source = tmp_path / "source"
    source.mkdir()
    (source / "a.txt").write_bytes(b"a")
    container = new_container(azurite.driver(), "dcreds")
    elsewhere = {"STORAGEKIT_CONFIG": str(tmp_path / "none.ini")}  # ...its workers do not
    with start_cluster(1, env=elsewhere) as cluster, Client(cluster, set_as_default=False) as client:
        [address] = client.scheduler_info()["workers"]
        with pytest.raises(TaskFailedError) as failed:
            storagekit.distributed.sync(str(source), f"az://{container}", client, profile="migration",
                                        progress=False)
    message = str(failed.value)
    assert f"on worker {address}" in message and "no profile 'migration'" in message, message
    assert azurite.key not in message
    assert listing(azurite.driver(), container) == {}
