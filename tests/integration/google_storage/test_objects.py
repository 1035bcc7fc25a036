"""GCS copies (rewrite), metadata, signed URLs and emulator discovery against fake-gcs-server."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from storagekit.drivers.google_storage import GoogleStorageDriver
from storagekit.models import Container
from storagekit.providers import get_driver
from storagekit.types import NotSupportedError, ObjectDoesNotExistError, PreconditionFailedError, Provider
from tests.conformance.conftest import empty_and_delete, unique_name

from .conftest import RequestLog


def test_copy_is_a_server_side_rewrite_keeping_properties(google_storage_driver: GoogleStorageDriver,
                                                          bucket: Container, request_log: RequestLog) -> None:
    driver = google_storage_driver
    source = driver.upload_object_via_stream(
        b"rewrite me", bucket, "src/a.txt", ex_meta={"k": "v"},
        extra={"content_type": "text/plain", "cache_control": "no-cache", "content_disposition": "inline"},
    )
    other = driver.create_container(unique_name("gcs-copy"))
    try:
        copy = driver.copy_object(source, other, "dst/a b.txt")
        rewrites = [r for r in request_log.requests if "/rewriteTo/" in r.url]
        assert len(rewrites) == 1 and rewrites[0].method == "POST"
        assert urlsplit(rewrites[0].url).path.endswith(f"/b/{bucket.name}/o/src%2Fa.txt/rewriteTo/b/{other.name}"
                                                       "/o/dst%2Fa%20b.txt")
        assert not [r for r in request_log.requests if "alt=media" in r.url], "no bytes went through the client"
        fetched = driver.get_object(other.name, "dst/a b.txt")
        assert fetched.meta_data == {"k": "v"} and copy.size == fetched.size == 10
        assert (fetched.extra["cache_control"], fetched.extra["content_disposition"]) == ("no-cache", "inline")
        assert fetched.checksums["md5"] == source.checksums["md5"]
        replaced = driver.copy_object(source, other, "dst/b.txt", extra={"content_type": "text/x-b"},
                                      ex_meta={"k": "new"})
        assert (replaced.extra["content_type"], replaced.meta_data) == ("text/x-b", {"k": "new"})
    finally:
        empty_and_delete(other)


def test_copy_of_a_missing_object(google_storage_driver: GoogleStorageDriver, bucket: Container) -> None:
    obj = google_storage_driver.upload_object_via_stream(b"x", bucket, "gone.txt")
    google_storage_driver.delete_object(obj)
    with pytest.raises(ObjectDoesNotExistError):
        google_storage_driver.copy_object(obj, bucket, "copy.txt")


def test_metadata_round_trip_and_listing_carries_it(google_storage_driver: GoogleStorageDriver,
                                                    bucket: Container) -> None:
    meta = {"Mixed-Case": "Value", "unicode": "grüße", "empty": ""}
    google_storage_driver.upload_object_via_stream(b"m", bucket, "meta.txt", ex_meta=meta)
    assert google_storage_driver.get_object(bucket.name, "meta.txt").meta_data == meta
    (listed,) = google_storage_driver.list_container_objects(bucket)
    assert listed.meta_data == meta and listed.checksums["md5"] and listed.extra["generation"]


def test_signed_get_url_serves_the_object(google_storage_driver: GoogleStorageDriver, bucket: Container) -> None:
    obj = google_storage_driver.upload_object_via_stream(b"signed bytes", bucket, "dir/signed file.txt")
    url = google_storage_driver.get_object_url(obj, expires_in=300)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"] and query["X-Goog-Expires"] == ["300"]
    assert urlsplit(url).path == f"/{bucket.name}/dir/signed%20file.txt"
    # fake-gcs-server ignores the signature (tests/unit/drivers/test_google_storage_signing.py checks it)
    assert requests.get(url, timeout=10).content == b"signed bytes"
    assert google_storage_driver.get_object_cdn_url(obj).startswith(google_storage_driver.endpoint)


def test_emulator_host_means_anonymous(fake_gcs_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake_gcs_server.removeprefix("http://"))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "from-env")
    driver = get_driver(Provider.GOOGLE_STORAGE)()
    assert (driver.endpoint, driver.project, driver.credentials) == (fake_gcs_server, "from-env", None)
    container = driver.create_container(unique_name("gcs-anon"))
    try:
        with RequestLog(driver) as log:
            obj = driver.upload_object_via_stream(b"anonymous", container, "a.txt")
        assert all("Authorization" not in r.headers for r in log.requests)
        assert container.name in [c.name for c in driver.list_containers()]
        with pytest.raises(NotSupportedError, match="cannot sign"):
            driver.get_object_url(obj)
    finally:
        empty_and_delete(container)


def test_bucket_location_and_storage_class(google_storage_driver: GoogleStorageDriver,
                                           request_log: RequestLog) -> None:
    name = unique_name("gcs-eu")
    created = google_storage_driver.create_container(name, ex_location="EU", ex_storage_class="NEARLINE")
    try:
        (create,) = [r for r in request_log.requests if r.method == "POST"]
        assert json.loads(create.body) == {"name": name, "location": "EU", "storageClass": "NEARLINE"}
        assert parse_qs(urlsplit(create.url).query)["project"] == ["storagekit-test"]
        # fake-gcs-server keeps neither (every bucket is STANDARD in US-CENTRAL1); the request is what counts
        fetched = google_storage_driver.get_container(name)
        assert fetched.extra.keys() >= {"location", "storage_class", "creation_date"}
    finally:
        google_storage_driver.delete_container(created)


def test_if_match_takes_a_generation_or_an_etag(google_storage_driver: GoogleStorageDriver,
                                                bucket: Container) -> None:
    driver = google_storage_driver
    first = driver.upload_object_via_stream(b"v1", bucket, "cas.txt")
    second = driver.upload_object_via_stream(b"v2", bucket, "cas.txt", extra={"if_match": first.extra["generation"]})
    with pytest.raises(PreconditionFailedError):
        driver.upload_object_via_stream(b"v3", bucket, "cas.txt", extra={"if_match": first.extra["generation"]})
    with pytest.raises(PreconditionFailedError):
        driver.upload_object_via_stream(b"v3", bucket, "cas.txt", extra={"if_match": first.extra["etag"]})
    driver.upload_object_via_stream(b"v4", bucket, "cas.txt", extra={"if_match": f'"{second.extra["etag"]}"'})
    assert b"".join(driver.get_object(bucket.name, "cas.txt").as_stream()) == b"v4"


def test_create_only_large_upload_sends_the_condition(google_storage_driver: GoogleStorageDriver,
                                                      bucket: Container, request_log: RequestLog) -> None:
    """fake-gcs-server ignores ifGenerationMatch=0 on resumable uploads (it overwrites); GCS refuses the
    session, which tests/unit/drivers/test_google_storage_replay.py replays. Here: the condition is sent."""
    google_storage_driver.upload_object_via_stream(b"x" * (256 * 1024 + 1), bucket, "once.bin", part_size=256 * 1024,
                                                   multipart_threshold=256 * 1024, extra={"if_none_match": "*"})
    (start,) = [r for r in request_log.requests if r.method == "POST"]
    query = parse_qs(urlsplit(start.url).query)
    assert (query["uploadType"], query["ifGenerationMatch"]) == (["resumable"], ["0"])
