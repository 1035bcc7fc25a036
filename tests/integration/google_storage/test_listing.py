"""GCS listing beyond the conformance suite: real paging with pageToken and ``fields``,
and delimiter listings whose common prefixes alone span more than one page."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest

from storagekit.drivers.google_storage import GoogleStorageDriver
from storagekit.models import Container, Object, Prefix
from tests.conformance.conftest import unique_name

from .conftest import RequestLog

# 1,100 "directories" (their prefixes alone fill more than one 1,000-entry page) + 1,500 flat names.
NAMES = sorted([f"d{i:04d}/x" for i in range(1100)] + [f"flat/{i:04d}" for i in range(1500)])


@pytest.fixture(scope="module")
def filled(google_storage_driver: GoogleStorageDriver) -> Container:
    driver = google_storage_driver
    container = driver.create_container(unique_name("gcs-list"))
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(lambda n: driver.upload_object_via_stream(b"", container, n), NAMES))
    return container  # left for the session's throw-away server: deleting 2,600 objects costs 10 s


@pytest.fixture(autouse=True)
def thousand_entry_pages(google_storage_driver: GoogleStorageDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    """GCS's own page size (the driver asks for more, which fake-gcs-server would give), so 2,600 objects page."""
    monkeypatch.setattr(google_storage_driver, "list_page_size", 1000)


def _list_queries(log: RequestLog) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(r.url).query) for r in log.requests if urlsplit(r.url).path.endswith("/o")]


def test_pages_through_everything_with_page_tokens(google_storage_driver: GoogleStorageDriver, filled: Container,
                                                   request_log: RequestLog) -> None:
    objects = list(google_storage_driver.iterate_container_objects(filled))
    assert [o.name for o in objects] == NAMES and len(NAMES) > 2500
    assert all(isinstance(o, Object) and o.size == 0 and o.extra["generation"] for o in objects)
    queries = _list_queries(request_log)
    assert len(queries) >= 3, "2,600 objects must take several pages"
    assert "pageToken" not in queries[0] and all("pageToken" in q for q in queries[1:])
    assert all(q["fields"][0].startswith("nextPageToken,prefixes,items(") for q in queries)


def test_delimiter_prefixes_span_pages(google_storage_driver: GoogleStorageDriver, filled: Container,
                                       request_log: RequestLog) -> None:
    entries = list(google_storage_driver.iterate_container_entries(filled, delimiter="/"))
    assert all(isinstance(e, Prefix) for e in entries)
    assert [e.name for e in entries] == [f"d{i:04d}/" for i in range(1100)] + ["flat/"]
    # fake-gcs-server counts only items against maxResults, so here the 1,101 prefixes come in one
    # page; prefixes split across pages are replayed in tests/unit/drivers/test_google_storage_replay.py.
    assert all(q["delimiter"] == ["/"] for q in _list_queries(request_log))


def test_delimiter_objects_span_pages(google_storage_driver: GoogleStorageDriver, filled: Container,
                                      request_log: RequestLog) -> None:
    names = [o.name for o in google_storage_driver.iterate_container_objects(filled, prefix="flat/", delimiter="/")]
    assert names == [n for n in NAMES if n.startswith("flat/")] and len(names) == 1500
    queries = _list_queries(request_log)
    assert len(queries) >= 2 and all(q["prefix"] == ["flat/"] for q in queries)
    assert google_storage_driver.list_container_objects(filled, prefix="d0000/", delimiter="/")[0].name == "d0000/x"
