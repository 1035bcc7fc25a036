"""Listing: order, prefixes, delimiters, and more than one page (2,600 objects)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from ..base import StorageDriver
from ..models import Container, Object, Prefix
from .fixtures import DriverTests, empty_and_delete, unique_name

NAMES = sorted(
    [f"logs/2024/{i:04d}.log" for i in range(1300)]
    + [f"documents/{i:04d}.txt" for i in range(1200)]
    + [f"top-{i:03d}" for i in range(100)]
    + ["a-b", "a/b", "a/c/d", "a0"]
)


class ListingTests(DriverTests):
    """Listing: order, prefixes, delimiters, and more than one page."""

    @pytest.fixture(scope="class")
    @classmethod
    def filled(cls, driver: StorageDriver) -> Iterator[Container]:
        """One container of 2,604 objects (more than one page everywhere) for the whole class."""
        container = driver.create_container(unique_name())
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: driver.upload_object_via_stream([n.encode()], container, n), NAMES))
        yield container
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(driver.delete_object, driver.list_container_objects(container)))
        empty_and_delete(container)

    def test_lists_everything_in_order_across_pages(self, driver: StorageDriver, filled: Container) -> None:
        names = [o.name for o in driver.iterate_container_objects(filled)]
        assert len(names) == len(NAMES) > 2500
        assert names == NAMES
        first = driver.list_container_objects(filled)[0]
        assert isinstance(first, Object) and first.size == len(first.name)

    def test_prefix_listing(self, driver: StorageDriver, filled: Container) -> None:
        logs = [o.name for o in driver.list_container_objects(filled, prefix="logs/")]
        assert logs == [n for n in NAMES if n.startswith("logs/")] and len(logs) == 1300
        docs = [o.name for o in driver.list_container_objects(filled, ex_prefix="documents/")]
        assert len(docs) == 1200
        assert [o.name for o in driver.ex_iterate_container_objects(filled, prefix="logs/2024/000")] == [
            f"logs/2024/000{i}.log" for i in range(10)
        ]
        assert [o.name for o in filled.iterate_objects(prefix="a")] == ["a-b", "a/b", "a/c/d", "a0"]
        assert driver.list_container_objects(filled, prefix="nothing-here/") == []

    def test_delimiter_listing(self, driver: StorageDriver, filled: Container) -> None:
        entries = list(driver.iterate_container_entries(filled, delimiter="/"))
        prefixes = [e.name for e in entries if isinstance(e, Prefix)]
        objects = [e.name for e in entries if isinstance(e, Object)]
        assert prefixes == ["a/", "documents/", "logs/"]
        assert objects == ["a-b", "a0"] + [f"top-{i:03d}" for i in range(100)]
        assert [e.name for e in driver.iterate_container_entries(filled, prefix="a/")] == ["a/b", "a/c/"]
        assert [e.name for e in driver.iterate_container_entries(filled, prefix="logs/")] == ["logs/2024/"]
        assert len(driver.list_container_objects(filled, prefix="logs/2024/", delimiter="/")) == 1300
