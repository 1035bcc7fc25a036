"""The bucket every distributed test moves: 20,000 small objects plus ten 20 MiB ones, made once.

``source_tree`` is the local directory; ``seaweed_source`` is the same tree in a SeaweedFS
bucket, filled by storagekit's own sync with many parallel uploads. Both are session-scoped, so
the fill is paid once, and read-only: each test writes to a container of its own.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from storagekit.base import StorageDriver
from storagekit.sync import sync
from tests.support.azure_blobs import Azurite
from tests.support.s3 import SeaweedFS
from tests.support.servers import GCS_PROJECT

SMALL = 20_000
LARGE = 10
LARGE_SIZE = 20 * 1024 * 1024
SHARD_SIZE = 1000
SMALL_SHARD_SIZE = 250
JOBS = 16


@dataclass
class Tree:
    """The source files: their root, sizes by name, and the MD5 of each large one."""

    root: Path
    sizes: dict[str, int] = field(default_factory=dict)
    large_md5: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return sorted(self.sizes)

    @property
    def total(self) -> int:
        return sum(self.sizes.values())

    def md5(self, name: str) -> str:
        return self.large_md5.get(name) or hashlib.md5((self.root / name).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Bucket:
    """A filled store: its URL and the ``open_url`` options that reach it."""

    url: str
    options: dict[str, Any]


@pytest.fixture(scope="session")
def source_tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    """20,000 files of 1 to 2,048 random bytes under ``small/``, ten of 20 MiB under ``large/``."""
    tree = Tree(tmp_path_factory.mktemp("distributed-source"))
    (tree.root / "small").mkdir()
    (tree.root / "large").mkdir()
    for index in range(SMALL):
        name = f"small/{index // 1000:02d}/{index:05d}.bin"
        path = tree.root / name
        path.parent.mkdir(exist_ok=True)
        data = os.urandom(1 + index % 2048)
        path.write_bytes(data)
        tree.sizes[name] = len(data)
    for index in range(LARGE):
        name = f"large/{index:02d}.bin"
        data = os.urandom(LARGE_SIZE)
        (tree.root / name).write_bytes(data)
        tree.sizes[name] = len(data)
        tree.large_md5[name] = hashlib.md5(data).hexdigest()
    return tree


@pytest.fixture(scope="session")
def small_tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    """3,000 files of 1 to 2,048 random bytes: the failure tests' source (CI time: the 20,000
    objects are moved whole by test_runner.py; a kill or an interruption needs only many shards)."""
    tree = Tree(tmp_path_factory.mktemp("distributed-small"))
    for index in range(3000):
        name = f"small/{index // 500:02d}/{index:05d}.bin"
        path = tree.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = os.urandom(1 + index % 2048)
        path.write_bytes(data)
        tree.sizes[name] = len(data)
    return tree


def seaweed_options(server: SeaweedFS) -> dict[str, Any]:
    return {"provider": "seaweedfs", "endpoint_url": server.endpoint_url, "key": server.access_key,
            "secret": server.secret_key, "region": server.region}


def azurite_options(server: Azurite) -> dict[str, Any]:
    return {"endpoint_url": server.endpoint, "key": server.account, "secret": server.key}


def gcs_options(endpoint: str) -> dict[str, Any]:
    return {"endpoint_url": endpoint, "credentials": "anonymous", "project": GCS_PROJECT}


@pytest.fixture(scope="session")
def seaweed_source(seaweedfs: SeaweedFS, source_tree: Tree) -> Bucket:
    """The tree in a SeaweedFS bucket, uploaded by the local sync 32 files at a time."""
    bucket = Bucket(f"s3://dsource-{uuid.uuid4().hex[:8]}", seaweed_options(seaweedfs))
    report = sync(str(source_tree.root), bucket.url, create=True, jobs=32, **bucket.options)
    assert len(report.copied) == SMALL + LARGE and not report.errors
    return bucket


def new_container(driver: StorageDriver, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    driver.create_container(name)
    return name


def listing(driver: StorageDriver, container: str) -> dict[str, int]:
    """Every object of a container: name -> size."""
    return {obj.name: obj.size for obj in driver.iterate_container_objects(driver.get_container(container))}
