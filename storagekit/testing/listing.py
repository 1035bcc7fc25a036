"""Listing: order, prefixes, delimiters, and more than one page (284 objects, pages of 100)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from ..base import StorageDriver
from ..models import Container, Object, Prefix
from .fixtures import DriverTests, empty_and_delete, unique_name

LOGS, DOCUMENTS, TOP = 130, 120, 30
PAGE_SIZE = 100
"""The page size the listing tests set on drivers that have one (``list_page_size``), so a few
hundred objects span several pages on every store."""
NAMES = sorted(
    [f"logs/2024/{i:04d}.log" for i in range(LOGS)]
    + [f"documents/{i:04d}.txt" for i in range(DOCUMENTS)]
    + [f"top-{i:03d}" for i in range(TOP)]
    + ["a-b", "a/b", "a/c/d", "a0"]
)


class ListingTests(DriverTests):
    """Listing: order, prefixes, delimiters, and more than one page."""

    @pytest.fixture(scope="class")
    @classmethod
    def filled(cls, driver: StorageDriver) -> Iterator[Container]:
        """One container of 284 objects, listed in pages of 100 where the driver pages, for the whole class."""
        paged = hasattr(driver, "list_page_size")
        if paged:
            setattr(driver, "list_page_size", PAGE_SIZE)  # noqa: B010 (not a StorageDriver attribute; this instance only)
        container = driver.create_container(unique_name())
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: driver.upload_object_via_stream([n.encode()], container, n), NAMES))
        yield container
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(driver.delete_object, driver.list_container_objects(container)))
        empty_and_delete(container)
        if paged:
            delattr(driver, "list_page_size")

    def test_lists_everything_in_order_across_pages(self, driver: StorageDriver, filled: Container) -> None:
        names = [o.name for o in driver.iterate_container_objects(filled)]
        assert len(names) == len(NAMES) > 2 * PAGE_SIZE
        assert names == NAMES
        first = driver.list_container_objects(filled)[0]
        assert isinstance(first, Object) and first.size == len(first.name)

    def test_prefix_listing(self, driver: StorageDriver, filled: Container) -> None:
        logs = [o.name for o in driver.list_container_objects(filled, prefix="logs/")]
        assert logs == [n for n in NAMES if n.startswith("logs/")] and len(logs) == LOGS
        docs = [o.name for o in driver.list_container_objects(filled, ex_prefix="documents/")]
        assert len(docs) == DOCUMENTS
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
        assert objects == ["a-b", "a0"] + [f"top-{i:03d}" for i in range(TOP)]
        assert [e.name for e in driver.iterate_container_entries(filled, prefix="a/")] == ["a/b", "a/c/"]
        assert [e.name for e in driver.iterate_container_entries(filled, prefix="logs/")] == ["logs/2024/"]
        assert len(driver.list_container_objects(filled, prefix="logs/2024/", delimiter="/")) == LOGS
