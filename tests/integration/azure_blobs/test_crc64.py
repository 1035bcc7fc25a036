"""CRC64 on Azurite: ``x-ms-content-crc64`` sent, ``checksum="crc64"`` stored and verified, awscrt missing.

Azurite 3.35 in its default (strict) mode refuses ``x-ms-content-crc64`` (FeatureNotSupported), so
these tests also show the driver falling back to Content-MD5 there; that the header's value is
Azure's CRC64 is shown against the Azure SDK's own vectors in tests/unit/test_crc64.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from azure.storage.blob import ContainerClient, ContentSettings

from storagekit import crc64
from storagekit.drivers.azure_blobs import CRC64_METADATA, AzureBlobsStorageDriver
from storagekit.http import ResponseEvent
from storagekit.models import Container
from storagekit.types import InvalidOptionError, ObjectHashMismatchError
from tests.support.azure_blobs import Azurite

KiB = 1024
BLOCK = 256 * KiB
DATA = os.urandom(3 * BLOCK + 1234)  # four blocks
SMALL = {"part_size": BLOCK, "multipart_threshold": BLOCK}


def _recording(azurite: Azurite, **options: Any) -> tuple[AzureBlobsStorageDriver, list[ResponseEvent]]:
    events: list[ResponseEvent] = []
    driver: AzureBlobsStorageDriver = azurite.driver(hooks={"response": [events.append]}, **options)  # type: ignore[assignment]
    return driver, events


def _corrupt(sdk: ContainerClient, name: str, data: bytes, metadata: dict[str, str] | None = None,
             md5: bytes | None = None) -> None:
    """Store ``data`` with one byte flipped under ``name``, claiming the CRC64 in ``metadata`` and
    the MD5 ``md5`` (None: no MD5, so nothing else can catch it)."""
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0x01
    client = sdk.get_blob_client(name)
    client.upload_blob(bytes(damaged), overwrite=True, metadata=metadata)
    client.set_http_headers(ContentSettings(content_md5=md5))


def test_crc64_option_stores_the_combined_crc_and_no_md5(azurite: Azurite, container: Container,
                                                         sdk: ContainerClient) -> None:
    """Blocks carry their CRC64 (strict Azurite refuses it once: Content-MD5 after that), the whole
    blob's CRC64, combined from the blocks', is stored as metadata, and no MD5 is stored."""
    driver, events = _recording(azurite, checksum="crc64")
    obj = driver.upload_object_via_stream(iter([DATA]), container, "c.bin", ex_meta={"Kind": "x"}, **SMALL)
    whole = crc64.crc64(DATA)
    assert obj.checksums == {crc64.NAME: crc64.to_hex(whole)} and obj.meta_data == {"Kind": "x"}
    blocks = [e for e in events if "comp=block&" in e.request.url]
    refused = [e for e in blocks if e.status_code == 500]  # FeatureNotSupported, not retried
    block_crcs = {crc64.to_base64(crc64.crc64(DATA[i:i + BLOCK])) for i in range(0, len(DATA), BLOCK)}
    assert refused and {e.request.headers["x-ms-content-crc64"] for e in refused} <= block_crcs
    assert all(e.request.attempt == 1 and "Content-MD5" not in e.request.headers for e in refused)
    stored = [e for e in blocks if e.status_code == 201]
    assert len(stored) == 4 and all("Content-MD5" in e.request.headers for e in stored)
    properties = sdk.get_blob_client("c.bin").get_blob_properties()
    assert properties.metadata == {"Kind": "x", CRC64_METADATA: crc64.to_base64(whole)}
    assert properties.content_settings.content_md5 is None
    listed = next(iter(driver.list_container_objects(container)))
    assert listed.checksums == obj.checksums and listed.meta_data == {"Kind": "x"}
    assert b"".join(driver.download_object_as_stream(listed)) == DATA
    copied = driver.copy_object(listed, driver.get_container(container.name), "copy.bin",  # server-side
                                ex_meta={"Kind": "copy"})  # new metadata, the same CRC kept
    assert copied.checksums == obj.checksums and copied.meta_data == {"Kind": "copy"}


def test_a_damaged_crc64_blob_is_caught_on_whole_and_ranged_reads(driver: AzureBlobsStorageDriver,
                                                                   container: Container, sdk: ContainerClient) -> None:
    stored = crc64.to_base64(crc64.crc64(DATA))
    _corrupt(sdk, "bad.bin", DATA, metadata={CRC64_METADATA: stored})
    obj = driver.get_object(container.name, "bad.bin")
    assert obj.checksums == {crc64.NAME: crc64.to_hex(crc64.crc64(DATA))}
    with pytest.raises(ObjectHashMismatchError, match="crc64nvme"):
        b"".join(driver.download_object_as_stream(obj, max_concurrency=1))  # one request
    with pytest.raises(ObjectHashMismatchError, match="crc64nvme"):
        b"".join(driver.download_object_as_stream(obj, part_size=BLOCK, max_concurrency=4))  # parallel ranges
    with pytest.raises(ObjectHashMismatchError, match="crc64nvme"), obj.open(block_size=BLOCK) as file:
        while file.read(100 * KiB):  # ranged reads through the file object, verified once the end is reached
            pass


def test_md5_blobs_still_verify(driver: AzureBlobsStorageDriver, container: Container, sdk: ContainerClient) -> None:
    obj = driver.upload_object_via_stream(iter([DATA]), container, "m.bin", **SMALL)
    assert obj.checksums == {"md5": hashlib.md5(DATA).hexdigest()}
    _corrupt(sdk, "m.bin", DATA, md5=hashlib.md5(DATA).digest())
    with pytest.raises(ObjectHashMismatchError, match="md5"):
        b"".join(driver.download_object_as_stream(driver.get_object(container.name, "m.bin"), part_size=BLOCK))


def test_crc64_metadata_name_is_reserved_and_bad_options_refused(azurite: Azurite, container: Container) -> None:
    with pytest.raises(InvalidOptionError, match="StorageKit_CRC64"):
        azurite.driver().upload_object_via_stream([b"x"], container, "x", ex_meta={"StorageKit_CRC64": "AAAA"})
    with pytest.raises(InvalidOptionError, match="md5, crc64"):
        azurite.driver(checksum="sha1")


_WITHOUT_AWSCRT = """
import json, os, sys
sys.modules["awscrt"] = None  # `import awscrt` now fails as if it were not installed
from storagekit.drivers.azure_blobs import AzureBlobsStorageDriver
from storagekit.types import InvalidOptionError, ObjectHashMismatchError
from storagekit import crc64
events = []
driver = AzureBlobsStorageDriver(connection_string=os.environ["AZ"], hooks={"response": [events.append]})
container = driver.get_container(os.environ["CONTAINER"])
data = os.urandom(int(os.environ["SIZE"]))
driver.upload_object_via_stream([data], container, "plain.bin", part_size=len(data) // 3 + 1,
                                multipart_threshold=len(data) // 3 + 1)
ok = b"".join(driver.download_object_as_stream(driver.get_object(container.name, "plain.bin"))) == data
try:
    AzureBlobsStorageDriver(connection_string=os.environ["AZ"], checksum="crc64")
    refused = ""
except InvalidOptionError as error:
    refused = str(error)
read = {}
for name in ("good.bin", "bad.bin"):  # crc64 blobs: verified by the Python CRC64
    try:
        b"".join(driver.download_object_as_stream(driver.get_object(container.name, name)))
        read[name] = "ok"
    except ObjectHashMismatchError as error:
        read[name] = str(error)
print(json.dumps({"fast": crc64.FAST, "ok": ok, "refused": refused, "read": read,
                  "blocks": [dict(e.request.headers) for e in events if "comp=block&" in e.request.url]}))
"""


def test_without_awscrt_blocks_carry_md5_and_crc64_blobs_still_verify(
    azurite: Azurite, driver: AzureBlobsStorageDriver, container: Container, sdk: ContainerClient
) -> None:
    small = DATA[:64 * KiB]
    stored = {CRC64_METADATA: crc64.to_base64(crc64.crc64(small))}
    sdk.upload_blob("good.bin", small, metadata=stored)
    sdk.get_blob_client("good.bin").set_http_headers(ContentSettings())  # no MD5: the CRC64 is all there is
    _corrupt(sdk, "bad.bin", small, metadata=stored)
    env = {**os.environ, "AZ": azurite.connection_string, "CONTAINER": container.name, "SIZE": str(3 * BLOCK)}
    result = json.loads(subprocess.run([sys.executable, "-c", _WITHOUT_AWSCRT], env=env, check=True,
                                       capture_output=True, text=True, timeout=300).stdout)
    assert result["fast"] is False and result["ok"] is True
    assert "awscrt" in result["refused"] and "storagekit[azure]" in result["refused"]
    assert len(result["blocks"]) == 3
    assert all("Content-MD5" in h and "x-ms-content-crc64" not in h for h in result["blocks"])
    assert result["read"]["good.bin"] == "ok" and "crc64nvme" in result["read"]["bad.bin"]

