"""GCS uploads against fake-gcs-server: resumable sessions of several chunks, files in one
request read from the file, one-request multipart uploads with server-checked digests,
metadata and upload extras."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from storagekit.drivers.google_storage import GoogleStorageDriver
from storagekit.drivers.google_storage.driver import _CHECKSUM
from storagekit.models import Container, Part
from storagekit.transfer import MiB, TransferConfig
from storagekit.types import ObjectDoesNotExistError, ObjectHashMismatchError
from tests.support.peak_rss import HIGH_WATER_MARK

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


def test_a_file_goes_up_in_one_request_read_from_it(google_storage_driver: GoogleStorageDriver, bucket: Container,
                                                    request_log: RequestLog, tmp_path: Path) -> None:
    data = os.urandom(3 * CHUNK + 1234)
    path = tmp_path / "file.bin"
    path.write_bytes(data)
    progress: list[tuple[int, int | None]] = []
    obj = google_storage_driver.upload_object(str(path), bucket, "file.bin", multipart_threshold=CHUNK,
                                              progress=lambda done, total: progress.append((done, total)))
    assert _chunk_ranges(request_log) == [f"bytes 0-{len(data) - 1}/{len(data)}"]  # declares the total: finalizes
    (put,) = [r for r in request_log.requests if r.method == "PUT"]
    assert not isinstance(put.body, bytes), "the body is read from the file as it is sent"
    digest = base64.b64encode(bytes.fromhex(Part(1, 0, data).hexdigest(_CHECKSUM))).decode()
    assert put.headers["X-Goog-Hash"] == f"{_CHECKSUM}={digest}"  # taken before sending, for the server to check
    assert progress[-1] == (len(data), len(data))
    assert obj.size == len(data) and b"".join(obj.as_stream()) == data


def test_a_file_that_shrinks_while_it_goes_up_leaves_nothing(google_storage_driver: GoogleStorageDriver,
                                                             bucket: Container, request_log: RequestLog,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "shrinking.bin"
    path.write_bytes(os.urandom(3 * MiB))

    def truncate(done: int, total: int | None) -> None:  # the first 1 MiB block is read: cut the file after it
        os.truncate(path, MiB + 1000)

    with pytest.raises(ObjectHashMismatchError, match="file ended at byte 1049576 of the 3145728"):
        google_storage_driver.upload_object(str(path), bucket, "shrinking.bin", multipart_threshold=MiB,
                                            progress=truncate)
    assert [r.method for r in request_log.requests if "upload_id=" in r.url] == ["PUT", "DELETE"]  # cancelled
    with pytest.raises(ObjectDoesNotExistError):
        google_storage_driver.get_object(bucket.name, "shrinking.bin")


MEMORY_SCRIPT = HIGH_WATER_MARK + textwrap.dedent("""
    import json, sys
    from storagekit.providers import get_driver

    args = json.loads(sys.argv[1])
    driver = get_driver("google_storage")(credentials="anonymous", **args["options"])
    container = driver.get_container(args["container"])
    baseline = high_water_mark()
    obj = driver.upload_object(args["path"], container, "memory-bound.bin")
    print(json.dumps({"baseline": baseline, "peak": high_water_mark(), "size": obj.size}))
""")


def test_a_file_upload_holds_a_block_not_a_part(google_storage_driver: GoogleStorageDriver, bucket: Container,
                                                tmp_path: Path) -> None:
    """32 MiB go up with the RSS growing less than one default part (8 MiB) above the baseline:
    the request is read from the file 1 MiB at a time (before, the file was one 32 MiB chunk)."""
    path = tmp_path / "memory.bin"
    with open(path, "wb") as file:
        for _ in range(32):
            file.write(os.urandom(MiB))
    args = {"path": str(path), "container": bucket.name,
            "options": {"endpoint_url": google_storage_driver.endpoint, "project": google_storage_driver.project}}
    result = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, json.dumps(args)], capture_output=True, text=True,
                            check=False, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout)
    assert figures["size"] == 32 * MiB
    growth = figures["peak"] - figures["baseline"]
    assert growth < TransferConfig().part_size, f"peak RSS grew {growth / MiB:.1f} MiB above the baseline"
