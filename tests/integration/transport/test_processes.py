"""Real drivers across processes: forked children, and a process with 2,000 open files."""

from __future__ import annotations

import hashlib
import os
import resource
import uuid
from collections.abc import Callable

import pytest

from storagekit.base import StorageDriver
from storagekit.models import Container
from storagekit.providers import get_driver
from storagekit.types import Provider
from tests.support.hostile import in_child
from tests.support.servers import GCS_PROJECT, Azurite, SeaweedFS

pytestmark = pytest.mark.timeout(180)


def payload(name: str, size: int = 300_000) -> bytes:
    """Bytes that depend on ``name``, so each process's object is told from the others'."""
    seed = hashlib.sha256(name.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def round_trip(driver: StorageDriver, container: Container, name: str) -> bool:
    """Upload ``payload(name)``, download it again: whether the same bytes came back."""
    obj = driver.upload_object_via_stream(payload(name), container, name)
    return b"".join(driver.download_object_as_stream(obj)) == payload(name)


def test_one_s3_driver_in_the_parent_four_forked_children_and_the_parent_again(s3_driver: StorageDriver) -> None:
    container = s3_driver.create_container(f"fork-{uuid.uuid4().hex[:12]}")
    assert all(round_trip(s3_driver, container, f"parent-before-{i}") for i in range(4))  # sockets now pooled
    start, go = os.pipe()
    pids = []
    for child in range(4):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                os.close(go)
                os.read(start, 1)  # all four start together, on what they inherited
                code = 0 if all([round_trip(s3_driver, container, f"child-{child}-{i}") for i in range(5)]) else 2
            finally:
                os._exit(code)
        pids.append(pid)
    os.close(start)
    os.close(go)
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
    assert codes == [0, 0, 0, 0]
    assert round_trip(s3_driver, container, "parent-after")
    for child in range(4):
        for i in range(5):
            name = f"child-{child}-{i}"
            obj = s3_driver.get_object(container.name, name)
            assert b"".join(s3_driver.download_object_as_stream(obj)) == payload(name)


def test_every_driver_works_in_a_process_with_2000_open_files(
    seaweedfs: SeaweedFS, azurite: Azurite, fake_gcs_server: str,
) -> None:
    makers: list[Callable[[], StorageDriver]] = [
        seaweedfs.driver, azurite.driver,
        lambda: get_driver(Provider.GOOGLE_STORAGE)(credentials="anonymous", project=GCS_PROJECT,
                                                    endpoint_url=fake_gcs_server),
    ]
    containers = [make().create_container(f"fds-{uuid.uuid4().hex[:12]}") for make in makers]

    def many_files() -> bool:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        held = [os.open(os.devnull, os.O_RDONLY) for _ in range(2000)]
        assert max(held) > 2000
        drivers = [make() for make in makers]  # every socket from now on has a descriptor above 2000
        return all(round_trip(driver, container, f"many-fds-{i}")  # again and again: pooled sockets checked
                   for driver, container in zip(drivers, containers, strict=True) for i in range(3))

    assert in_child(many_files) == 0
