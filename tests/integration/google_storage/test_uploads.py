"""GCS uploads against fake-gcs-server: resumable sessions of several chunks, one-request
multipart uploads with server-checked digests, metadata and upload extras."""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
from urllib.parse import parse_qs, urlsplit

import pytest

from storagekit.drivers.google_storage import GoogleStorageDriver
from storagekit.drivers.google_storage.driver import _CHECKSUM
from storagekit.models import Container, Part
from storagekit.types import ObjectDoesNotExistError

from .conftest import RequestLog

CHUNK = 256 * 1024


def _chunk_ranges(log: RequestLog) -> list[str]:
    return [r.headers["Content-Range"] for r in log.requests if r.method == "PUT" and "upload_id=" in r.url]


def test_resumable_upload_in_four_chunks(google_storage_driver: GoogleStorageDriver, bucket: Container,
                                         request_log: RequestLog) -> None:
    data = os.urandom(3 * CHUNK + 1234)
    obj = google_storage_driver.upload_object_via_stream(
        iter([data[:1000], data[1000:]]), bucket, "resumable.bin", part_size=CHUNK, max_concurrency=1,
        multipart_threshold=CHUNK,
        extra={"content_type": "text/csv", "cache_control": "no-cache"}, ex_meta={"run": "7"},
    )
    total = len(data)
    assert _chunk_ranges(request_log) == [
        f"bytes 0-{CHUNK - 1}/*", f"bytes {CHUNK}-{2 * CHUNK - 1}/*", f"bytes {2 * CHUNK}-{3 * CHUNK - 1}/*",
        f"bytes {3 * CHUNK}-{total - 1}/{total}",  # the short last chunk declares the total: it finalizes
    ]
    starts = [r for r in request_log.requests if r.method == "POST"]
    assert len(starts) == 1 and parse_qs(urlsplit(starts[0].url).query)["uploadType"] == ["resumable"]
    assert obj.size == total and obj.checksums["md5"] == hashlib.md5(data).hexdigest()
    fetched = google_storage_driver.get_object(bucket.name, "resumable.bin")
    assert (fetched.extra["content_type"], fetched.extra["cache_control"]) == ("text/csv", "no-cache")
    assert fetched.meta_data == {"run": "7"}
    assert b"".join(fetched.as_stream()) == data


def test_resumable_upload_of_whole_chunks_is_finalized_by_an_empty_put(
    google_storage_driver: GoogleStorageDriver, bucket: Container, request_log: RequestLog
) -> None:
    data = os.urandom(3 * CHUNK)

    def unknown_length():  # type: ignore[no-untyped-def]
        for start in range(0, len(data), 100_000):
            yield data[start:start + 100_000]

    obj = google_storage_driver.upload_object_via_stream(unknown_length(), bucket, "whole.bin", part_size=CHUNK,
                                                         max_concurrency=1, multipart_threshold=CHUNK)
    ranges = _chunk_ranges(request_log)
    assert ranges == [f"bytes {i * CHUNK}-{(i + 1) * CHUNK - 1}/*" for i in range(3)] + [f"bytes */{len(data)}"]
    final = next(r for r in request_log.requests if r.headers.get("Content-Range") == f"bytes */{len(data)}")
    digest = base64.b64encode(bytes.fromhex(Part(1, 0, data).hexdigest(_CHECKSUM))).decode()
    assert final.headers["X-Goog-Hash"] == f"{_CHECKSUM}={digest}"  # the one digest computed, for the server
    assert obj.size == len(data)
    assert b"".join(google_storage_driver.download_object_as_stream(obj)) == data


def test_failed_resumable_upload_cancels_its_session(google_storage_driver: GoogleStorageDriver, bucket: Container,
                                                     request_log: RequestLog) -> None:
    def broken():  # type: ignore[no-untyped-def]
        yield os.urandom(2 * CHUNK + 1)
        raise OSError("source failed")

    with pytest.raises(OSError, match="source failed"):
        google_storage_driver.upload_object_via_stream(broken(), bucket, "broken.bin", part_size=CHUNK,
                                                       max_concurrency=1, multipart_threshold=CHUNK)
    cancels = [r for r in request_log.requests if r.method == "DELETE" and "upload_id=" in r.url]
    assert len(cancels) == 1
    with pytest.raises(ObjectDoesNotExistError):
        google_storage_driver.get_object(bucket.name, "broken.bin")


def test_single_request_upload_sends_digests_and_extras(google_storage_driver: GoogleStorageDriver,
                                                        bucket: Container, request_log: RequestLog) -> None:
    google_storage_driver.upload_object_via_stream(
        b"abc", bucket, "small.txt",
        extra={"content_type": "text/plain", "content_disposition": "attachment; filename=s.txt",
               "content_language": "en", "cache_control": "max-age=60", "storage_class": "NEARLINE"},
        ex_meta={"Author": "Jane"},
    )
    (upload,) = [r for r in request_log.requests if r.method == "POST"]
    assert parse_qs(urlsplit(upload.url).query)["uploadType"] == ["multipart"]
    body = upload.body
    sent = b'"crc32c": "Nks/tw=="' if _CHECKSUM == "crc32c" else b'"md5Hash": "kAFQmDzST7DWlj99KOF/cg=="'
    assert sent in body and body.count(b"Hash") + body.count(b"crc32c") == 1  # one digest, the cheapest
    fetched = google_storage_driver.get_object(bucket.name, "small.txt")
    assert fetched.extra["content_disposition"] == "attachment; filename=s.txt"
    assert (fetched.extra["content_language"], fetched.extra["cache_control"]) == ("en", "max-age=60")
    assert fetched.extra["storage_class"] == "NEARLINE"
    assert fetched.meta_data == {"Author": "Jane"}
    assert fetched.checksums == {"md5": "900150983cd24fb0d6963f7d28e17f72", "crc32c": "364b3fb7"}


def test_gzip_encoded_object_comes_back_as_stored(google_storage_driver: GoogleStorageDriver,
                                                  bucket: Container) -> None:
    stored = gzip.compress(b"hello " * 1000)
    google_storage_driver.upload_object_via_stream(stored, bucket, "page.html.gz",
                                                   extra={"content_type": "text/html", "content_encoding": "gzip"})
    obj = google_storage_driver.get_object(bucket.name, "page.html.gz")
    assert obj.extra["content_encoding"] == "gzip"
    assert b"".join(obj.as_stream()) == stored  # verified against the stored MD5 on the way


def test_reads_are_pinned_to_the_generation_looked_up(google_storage_driver: GoogleStorageDriver,
                                                      bucket: Container, request_log: RequestLog) -> None:
    obj = google_storage_driver.upload_object_via_stream(b"0123456789", bucket, "pinned.bin")
    assert b"".join(obj.range_as_stream(2, 5)) == b"234"
    (read,) = [r for r in request_log.requests if "alt=media" in r.url]
    assert parse_qs(urlsplit(read.url).query)["ifGenerationMatch"] == [obj.extra["generation"]]
    assert read.headers["Range"] == "bytes=2-4"
