"""GCS protocol paths no emulator reproduces, replayed from fixtures/google_storage/*.json:
resumable chunks resumed from the server's status answer, create-only sessions, multi-call
rewrites, prefixes split over pages, and every error body -> typed exception."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storagekit import types
from storagekit.drivers.google_storage.driver import _CHECKSUM
from storagekit.http import RetryPolicy
from storagekit.models import Container, Part
from storagekit.streams import crc32c
from storagekit.transport import Request
from tests.support.google_storage import load_fixture, replayed_driver
from tests.support.replay import Answer, ReplayTransport

CHUNK = 256 * 1024
FAST = RetryPolicy(backoff_base=0.001, backoff_max=0.01)


def _data(spec: dict[str, Any]) -> bytes:
    pattern = spec["pattern"].encode()
    return (pattern * (spec["size"] // len(pattern) + 1))[: spec["size"]]


@pytest.mark.parametrize("fixture", ["resume_after_broken_chunks.json", "resume_from_zero.json"])
def test_broken_chunks_resume_where_the_server_stands(fixture: str) -> None:
    recorded = load_fixture(fixture)
    driver, adapter = replayed_driver(recorded["exchanges"], retry=FAST)
    data = _data(recorded["data"])
    obj = driver.upload_object_via_stream(iter([data]), Container("bkt", {}, driver), "big.bin",
                                          part_size=CHUNK, max_concurrency=1, multipart_threshold=CHUNK)
    assert adapter.answers == [], "every recorded exchange was used, in order"
    assert obj.size == len(data) and obj.name == "big.bin"
    resent = [r.body for r in adapter.sent if r.method == "PUT" and r.body]
    sent_ranges = [r.headers["Content-Range"] for r in adapter.sent if r.method == "PUT" and r.body]
    # every resent body is exactly the bytes its Content-Range names
    for body, content_range in zip(resent, sent_ranges, strict=True):
        first, last = (int(x) for x in content_range.split()[1].split("/")[0].split("-"))
        assert body == data[first:last + 1]


def test_create_only_resumable_upload_is_refused_at_session_start() -> None:
    driver, adapter = replayed_driver(load_fixture("create_only_resumable.json")["exchanges"], retry=FAST)
    with pytest.raises(types.PreconditionFailedError) as info:
        driver.upload_object_via_stream(iter([b"x" * (CHUNK + 1)]), Container("bkt", {}, driver), "exists.bin",
                                        part_size=CHUNK, max_concurrency=1, multipart_threshold=CHUNK,
                                        extra={"if_none_match": "*"})
    assert (info.value.http_status, info.value.code) == (412, "conditionNotMet")
    assert info.value.request_id == "ADPycdsCreateOnly"
    assert adapter.answers == [] and len(adapter.sent) == 1, "no chunk is sent once the session is refused"


def test_rewrite_loops_on_its_token() -> None:
    driver, adapter = replayed_driver(load_fixture("rewrite_with_token.json")["exchanges"], retry=FAST)
    source = driver._object(Container("bkt", {}, driver), {"name": "src.bin", "size": "26", "contentType": "a/b"})
    copy = driver.copy_object(source, Container("other", {}, driver), "dst/copy.bin")
    assert adapter.answers == []
    assert (copy.name, copy.container.name, copy.size) == ("dst/copy.bin", "other", 26)
    assert b'"contentType": "a/b"' in adapter.sent[0].body


def test_prefixes_continue_on_the_next_page() -> None:
    driver, adapter = replayed_driver(load_fixture("list_prefixes_across_pages.json")["exchanges"], retry=FAST)
    entries = list(driver.iterate_container_entries(Container("bkt", {}, driver), delimiter="/"))
    assert [e.name for e in entries] == ["a-file", "a/", "b/", "c-file", "c/", "d"]
    assert adapter.answers == []


ERROR_CASES = load_fixture("error_bodies.json")["cases"]


def _call(driver: Any, call: str) -> None:
    bucket = Container("bkt", {}, driver)
    if call == "get_object":
        driver.get_object("bkt", "missing.txt")
    elif call == "list":
        driver.list_container_objects(bucket)
    elif call == "create_container":
        driver.create_container("goog-bucket")
    elif call == "delete_container":
        driver.delete_container(bucket)
    elif call == "upload":
        driver.upload_object_via_stream(b"x", bucket, "missing.txt", extra={"if_match": "1700000000000001"})
    elif call == "download":
        obj = driver._object(bucket, {"name": "missing.txt", "size": "3", "generation": "17"})
        b"".join(driver.download_object_as_stream(obj))


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: f"{c['call']}-{c['response']['status']}-{c['exception']}")
def test_error_bodies_become_typed_exceptions(case: dict[str, Any]) -> None:
    driver, adapter = replayed_driver([{"request": {}, "response": case["response"]}],
                                      retry=RetryPolicy(max_attempts=1))
    with pytest.raises(getattr(types, case["exception"])) as info:
        _call(driver, case["call"])
    error = info.value
    response = case["response"]
    assert error.http_status == response["status"]
    assert error.request_id == response["headers"]["X-GUploader-UploadID"]
    assert error.retryable is case.get("retryable", False)
    if "json" in response:
        assert error.code == response["json"]["error"]["errors"][0]["reason"]
        rephrased = (types.ContainerError, types.ObjectDoesNotExistError)  # say which bucket / object instead
        assert response["json"]["error"]["message"] in str(error) or isinstance(error, rephrased)
    assert str(response["status"]) in str(error)
    if case["exception"] == "RateLimitReachedError" and "Retry-After" in response["headers"]:
        assert error.retry_after == 7.0  # type: ignore[attr-defined]
    assert adapter.answers == []


def test_download_is_pinned_to_the_generation() -> None:
    exchanges = [{"request": {"method": "GET", "query": {"alt": "media", "ifGenerationMatch": "17"}},
                  "response": {"status": 200, "body": "abc"}}]
    driver, adapter = replayed_driver(exchanges, retry=FAST)
    obj = driver._object(Container("bkt", {}, driver), {"name": "o", "size": "3", "generation": "17",
                                                        "md5Hash": "kAFQmDzST7DWlj99KOF/cg=="})
    assert b"".join(driver.download_object_as_stream(obj)) == b"abc"
    assert adapter.sent[0].headers["Accept-Encoding"] == "gzip" and "Range" not in adapter.sent[0].headers


@pytest.mark.parametrize(("served", "ok"), [(b"composed!", True), (b"composed?", False)], ids=["intact", "corrupt"])
def test_composite_objects_are_verified_by_crc32c(served: bytes, ok: bool) -> None:
    """A composite object has no MD5 (only CRC32C, base64 in the resource, hex in checksums)."""
    resource = {"name": "c", "size": "9", "generation": "5", "componentCount": 2, "crc32c": "DnCV8w==",
                "etag": "CAU="}
    exchanges = [
        {"request": {"method": "GET", "path": "/storage/v1/b/bkt/o/c"}, "response": {"status": 200, "json": resource}},
        {"request": {"method": "GET", "query": {"alt": "media", "ifGenerationMatch": "5"}},
         "response": {"status": 200, "body": served.decode()}},
    ]
    driver, _ = replayed_driver(exchanges, retry=RetryPolicy(max_attempts=1))
    obj = driver.get_object("bkt", "c")
    assert obj.checksums == {"crc32c": f"{crc32c(b'composed!'):08x}"} and obj.extra["component_count"] == 2
    assert obj.hash == "CAU="
    stream = driver.download_object_as_stream(obj)
    if ok:
        assert b"".join(stream) == served
    else:
        with pytest.raises(types.ObjectHashMismatchError, match="crc32c"):
            b"".join(stream)


def test_upload_extras_become_query_parameters() -> None:
    key = "projects/p/locations/eu/keyRings/r/cryptoKeys/k"
    resource = {"name": "x", "size": "1", "md5Hash": "ndTkYSaMgDT1yFZOFVxnpg==", "generation": "3"}
    exchanges = [{"request": {"method": "POST", "query": {"uploadType": "multipart", "predefinedAcl": "publicRead",
                                                          "kmsKeyName": key}},
                  "response": {"status": 200, "json": resource}}]
    driver, adapter = replayed_driver(exchanges, retry=FAST)
    driver.upload_object_via_stream(b"x", Container("bkt", {}, driver), "x",
                                    extra={"acl": "public-read", "kms_key_id": key, "ServerSideEncryption": "AES256"})
    assert adapter.answers == []
    for extra, message in [({"blob_type": "BlockBlob"}, "Azure"), ({"server_side_encryption": "SSE-C"}, "always"),
                           ({"if_none_match": "etag"}, "only '\\*'")]:
        with pytest.raises(types.InvalidOptionError, match=message):
            driver.upload_object_via_stream(b"x", Container("bkt", {}, driver), "x", extra=extra)


def test_a_server_that_finalizes_on_a_status_query_leaves_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """fake-gcs-server finalizes an upload when asked where it stands: that object is deleted."""
    session = "http://gcs.test/upload/storage/v1/b/bkt/o?uploadType=resumable&name=t.bin&upload_id=S2"
    truncated = {"name": "t.bin", "bucket": "bkt", "size": "0", "generation": "42"}
    failed = {"status": 503, "json": {"error": {"code": 503, "message": "Backend Error"}}}
    exchanges = [
        {"request": {"method": "POST"}, "response": {"status": 200, "headers": {"Location": session}}},
        {"request": {"method": "PUT", "headers": {"Content-Range": f"bytes 0-{CHUNK - 1}/*"}}, "response": failed},
        {"request": {"method": "PUT", "headers": {"Content-Range": "bytes */*"}},
         "response": {"status": 200, "json": truncated}},
        {"request": {"method": "DELETE", "path": "/storage/v1/b/bkt/o/t.bin", "query": {"ifGenerationMatch": "42"}},
         "response": {"status": 204}},
        {"request": {"method": "DELETE", "query": {"upload_id": "S2"}}, "response": {"status": 499}},
    ]
    driver, adapter = replayed_driver(exchanges, retry=FAST)
    with pytest.raises(types.ServiceUnavailableError) as info:
        driver.upload_object_via_stream(iter([b"t" * (CHUNK + 1)]), Container("bkt", {}, driver), "t.bin",
                                        part_size=CHUNK, max_concurrency=1, multipart_threshold=CHUNK)
    assert info.value.http_status == 503 and adapter.answers == []
    assert "finished the upload of t.bin at 0 bytes" in caplog.text


@pytest.mark.parametrize(("x_goog_hash", "ok"), [
    ("crc32c=DnCV8w==", False), ("md5=s2NX5rKcldpum91tHpIjKg==", False),  # either digest catches the damage
    ("crc32c=DnCV8w==,md5=s2NX5rKcldpum91tHpIjKg==", False),
    ("crc32c=not base64!,md5=short", True),  # nothing usable: only the size is checked
])
def test_a_read_is_checked_against_the_x_goog_hash_it_carries(x_goog_hash: str, ok: bool) -> None:
    """An Object without digests (as built by hand, or a resource without them) is verified
    with the whole object's digests the media GET sends in x-goog-hash."""
    exchanges = [{"request": {"method": "GET", "query": {"alt": "media"}},
                  "response": {"status": 200, "body": "composed?", "headers": {"x-goog-hash": x_goog_hash}}}]
    driver, _ = replayed_driver(exchanges, retry=RetryPolicy(max_attempts=1))
    obj = driver._object(Container("bkt", {}, driver), {"name": "c", "size": "9", "generation": "5"})
    assert obj.checksums == {}
    stream = driver.download_object_as_stream(obj)
    if ok:
        assert b"".join(stream) == b"composed?"
    else:
        with pytest.raises(types.ObjectHashMismatchError):
            b"".join(stream)


def test_a_broken_file_upload_resumes_from_the_file_where_the_server_stands(tmp_path: Path) -> None:
    """One request streams the file; when it breaks, the status query says what the server holds
    and the rest is read again from the file, still declaring the total and the digest."""
    data = _data({"pattern": "file-span-", "size": 3 * CHUNK + 5})
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    size, digest = len(data), base64.b64encode(crc32c(data).to_bytes(4, "big")).decode()
    session = "http://gcs.test/upload/storage/v1/b/bkt/o?uploadType=resumable&name=f.bin&upload_id=F1"
    resource = {"name": "f.bin", "bucket": "bkt", "size": str(size), "generation": "7", "crc32c": digest,
                "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode()}
    sent: list[tuple[str, bytes, str | None]] = []

    def put(answer: Answer | None) -> Callable[[Request], Answer]:
        def respond(request: Request) -> Answer:
            body = request.body.read() if hasattr(request.body, "read") else request.body
            sent.append((request.headers["Content-Range"], body[:CHUNK] if answer is None else body,
                         request.headers.get("X-Goog-Hash")))
            if answer is None:
                raise ConnectionResetError("broken after the first chunk")
            return answer
        return respond

    driver, _ = replayed_driver([], retry=FAST)
    replay = ReplayTransport.install(
        driver,
        (200, {"Location": session, "Content-Length": "0"}, b""),
        put(None),
        put((308, {"Range": f"bytes=0-{CHUNK - 1}", "Content-Length": "0"}, b"")),
        put((200, {"Content-Type": "application/json"}, json.dumps(resource).encode())),
    )
    obj = driver.upload_object(str(path), Container("bkt", {}, driver), "f.bin", multipart_threshold=CHUNK)
    assert replay.answers == [] and obj.size == size
    hashed = f"{_CHECKSUM}={base64.b64encode(bytes.fromhex(Part(1, 0, data).hexdigest(_CHECKSUM))).decode()}"
    assert sent == [
        (f"bytes 0-{size - 1}/{size}", data[:CHUNK], hashed),
        (f"bytes */{size}", b"", None),
        (f"bytes {CHUNK}-{size - 1}/{size}", data[CHUNK:], hashed),  # the rest, read again from the file
    ]


def test_a_file_upload_finalized_short_by_a_status_query_leaves_nothing(tmp_path: Path,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    """The status query of a one-request file upload declares the total; fake-gcs-server then
    publishes what it holds (nothing here): that object is deleted and the break is raised."""
    path = tmp_path / "t.bin"
    path.write_bytes(b"t" * (CHUNK + 1))
    size = CHUNK + 1
    session = "http://gcs.test/upload/storage/v1/b/bkt/o?uploadType=resumable&name=t.bin&upload_id=S3"
    exchanges = [
        {"request": {"method": "POST"}, "response": {"status": 200, "headers": {"Location": session}}},
        {"request": {"method": "PUT", "headers": {"Content-Range": f"bytes 0-{size - 1}/{size}"}},
         "response": {"error": "connection reset"}},
        {"request": {"method": "PUT", "headers": {"Content-Range": f"bytes */{size}"}},
         "response": {"status": 200, "json": {"name": "t.bin", "bucket": "bkt", "size": "0", "generation": "43"}}},
        {"request": {"method": "DELETE", "path": "/storage/v1/b/bkt/o/t.bin", "query": {"ifGenerationMatch": "43"}},
         "response": {"status": 204}},
        {"request": {"method": "DELETE", "query": {"upload_id": "S3"}}, "response": {"status": 499}},
    ]
    driver, adapter = replayed_driver(exchanges, retry=FAST)
    with pytest.raises(types.ConnectionBrokenError):
        driver.upload_object(str(path), Container("bkt", {}, driver), "t.bin", multipart_threshold=CHUNK)
    assert adapter.answers == []
    assert "finished the upload of t.bin at 0 bytes" in caplog.text
