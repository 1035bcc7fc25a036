"""ListObjectsV2 paging beyond the conformance suite: 1,000-entry pages of objects and of
common prefixes, and names that only survive a listing with ``encoding-type=url``."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from storagekit.drivers.s3 import S3StorageDriver
from storagekit.models import Container, Object, Prefix

from .conftest import empty_and_delete

ODD_NAMES = ["odd/sp ace.txt", "odd/plus+sign", "odd/percent%41", "odd/ctl\x01char", "odd/ünï/cödé", "odd/amp&lt;"]
DIRS = [f"dirs/d{i:04d}/file" for i in range(2550)]


@pytest.fixture(scope="module")
def filled(s3_driver: S3StorageDriver) -> Iterator[Container]:
    container = s3_driver.create_container("sk-listing-pages")
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: s3_driver.upload_object_via_stream([b"x"], container, n), DIRS + ODD_NAMES))
    yield container
    empty_and_delete(s3_driver, container)


def test_raw_pages_hold_1000_entries_and_a_token(s3_driver: S3StorageDriver, filled: Container) -> None:
    first = s3_driver._list_page(filled, "dirs/", None, None)
    objects = list(first.iter_objects())
    assert len(objects) == 1000 and first.next_token
    assert objects[0].name == "dirs/d0000/file" and objects[0].extra["etag"]
    second = s3_driver._list_page(filled, "dirs/", None, first.next_token)
    assert next(second.iter_objects()).name == "dirs/d1000/file"


def test_objects_across_pages_without_delimiter(s3_driver: S3StorageDriver, filled: Container) -> None:
    names = [o.name for o in s3_driver.iterate_container_objects(filled, prefix="dirs/")]
    assert names == DIRS


def test_common_prefixes_across_pages(s3_driver: S3StorageDriver, filled: Container) -> None:
    first = s3_driver._list_page(filled, "dirs/", "/", None)
    assert list(first.iter_objects()) == [] and len(first.prefixes) == 1000 and first.next_token
    entries = list(s3_driver.iterate_container_entries(filled, prefix="dirs/", delimiter="/"))
    assert all(isinstance(e, Prefix) for e in entries)
    assert [e.name for e in entries] == [name[: -len("file")] for name in DIRS]
    top = [e.name for e in s3_driver.iterate_container_entries(filled, delimiter="/")]
    assert top == ["dirs/", "odd/"]


def test_names_that_need_url_encoding_in_listings(s3_driver: S3StorageDriver, filled: Container) -> None:
    listed = s3_driver.list_container_objects(filled, prefix="odd/")
    assert sorted(o.name for o in listed) == sorted(ODD_NAMES)
    assert all(isinstance(o, Object) and o.size == 1 for o in listed)
    entries = [e.name for e in s3_driver.iterate_container_entries(filled, prefix="odd/", delimiter="/")]
    assert "odd/ünï/" in entries and "odd/sp ace.txt" in entries
    for name in ODD_NAMES:
        assert b"".join(s3_driver.get_object(filled.name, name).as_stream()) == b"x"


def test_a_listed_object_is_not_kept_alive_by_the_listing(s3_driver: S3StorageDriver, filled: Container) -> None:
    """SeaweedFS does not list in name order, so its pages are sorted, as tuples: an Object is made
    only when the caller reaches it and is not held by the listing after, so a long listing leaves
    the garbage collector nothing to promote (held pages of Objects cost a full collection now and
    then)."""
    assert not s3_driver.preset.lists_in_order
    objects = s3_driver.iterate_container_objects(filled, prefix="dirs/")
    first = weakref.ref(next(objects))
    assert next(objects).name == DIRS[1]
    assert first() is None
    assert [o.name for o in objects] == DIRS[2:]
