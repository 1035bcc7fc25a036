"""Interoperability with google-cloud-storage (a test-only dependency) on the same emulator:
what one writes, the other reads back byte for byte, with the same properties and metadata."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from storagekit.drivers.google_storage import GoogleStorageDriver
from storagekit.models import Container

CHUNK = 256 * 1024


@pytest.fixture(scope="module")
def sdk(fake_gcs_server: str) -> storage.Client:
    return storage.Client(project="storagekit-test", credentials=AnonymousCredentials(),
                          client_options={"api_endpoint": fake_gcs_server})


@pytest.mark.parametrize("size", [11, 3 * CHUNK + 7], ids=["one-request", "resumable"])
def test_storagekit_writes_sdk_reads(google_storage_driver: GoogleStorageDriver, bucket: Container,
                                     sdk: storage.Client, size: int) -> None:
    data = os.urandom(size)
    google_storage_driver.upload_object_via_stream(
        iter([data]), bucket, "from/storagekit.bin", part_size=CHUNK, multipart_threshold=CHUNK,
        extra={"content_type": "application/x-test", "cache_control": "no-store", "content_language": "de"},
        ex_meta={"origin": "storagekit", "n": 1},
    )
    blob = sdk.bucket(bucket.name).get_blob("from/storagekit.bin")
    assert blob is not None
    assert blob.download_as_bytes(checksum="md5") == data
    assert (blob.content_type, blob.cache_control, blob.content_language) == ("application/x-test", "no-store", "de")
    assert blob.metadata == {"origin": "storagekit", "n": "1"}
    assert blob.size == size


@pytest.mark.parametrize("size", [5, 2 * 1024 * 1024 + 3], ids=["small", "chunked"])
def test_sdk_writes_storagekit_reads(google_storage_driver: GoogleStorageDriver, bucket: Container,
                                     sdk: storage.Client, size: int) -> None:
    data = os.urandom(size)
    blob = sdk.bucket(bucket.name).blob("from/sdk.bin", chunk_size=CHUNK * 4 if size > CHUNK else None)
    blob.metadata = {"origin": "sdk"}
    blob.cache_control = "max-age=5"
    blob.upload_from_string(data, content_type="image/png")
    obj = google_storage_driver.get_object(bucket.name, "from/sdk.bin")
    assert (obj.size, obj.extra["content_type"], obj.extra["cache_control"]) == (size, "image/png", "max-age=5")
    assert obj.meta_data == {"origin": "sdk"}
    assert obj.checksums["md5"] == base64.b64decode(blob.md5_hash).hex() == hashlib.md5(data).hexdigest()
    assert b"".join(obj.as_stream()) == data
