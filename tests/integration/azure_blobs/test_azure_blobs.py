"""The Azure driver against Azurite: authorization, SAS, blocks, paging, copies, metadata, SDK interop."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from azure.core.credentials import AzureNamedKeyCredential, AzureSasCredential
from azure.storage.blob import ContainerClient, ContainerSasPermissions, ContentSettings, generate_container_sas

from storagekit.drivers.azure_blobs import AzureBlobsStorageDriver
from storagekit.drivers.azure_blobs._auth import decode_key
from storagekit.drivers.azure_blobs._sas import blob_sas
from storagekit.models import Container, Object, ObjectPage, Prefix
from storagekit.types import (
    InvalidCredsError,
    InvalidOptionError,
    NotSupportedError,
    ObjectDoesNotExistError,
    PermissionDeniedError,
    PreconditionFailedError,
)
from tests.support.azure_blobs import Azurite

WRONG_KEY = base64.b64encode(b"not the key of this account, but valid base64 ....").decode()
MiB = 1024 * 1024


def _container_sas(azurite: Azurite, container: Container, **permissions: bool) -> str:
    return generate_container_sas(
        azurite.account, container.name, account_key=azurite.key,
        permission=ContainerSasPermissions(**permissions), expiry=datetime.now(timezone.utc) + timedelta(hours=1),
    )


# ---------------------------------------------------------------------- credentials


def test_wrong_key_is_invalid_creds_and_never_shown(azurite: Azurite, caplog: pytest.LogCaptureFixture) -> None:
    driver = azurite.driver(key=azurite.account, secret=WRONG_KEY)
    with caplog.at_level(logging.DEBUG), pytest.raises(InvalidCredsError) as info:
        driver.list_containers()
    error = info.value
    assert error.http_status == 403
    assert error.code == "AuthorizationFailure"  # Azurite's code for a bad signature; Azure's is AuthenticationFailed
    assert error.request_id
    for shown in (str(error), repr(error), repr(driver), caplog.text):
        assert WRONG_KEY not in shown and azurite.key not in shown


def test_a_key_that_is_not_base64_is_refused_without_showing_it(azurite: Azurite) -> None:
    with pytest.raises(InvalidOptionError) as info:
        azurite.driver(key=azurite.account, secret="not-base64!!secret")
    assert "not-base64!!secret" not in str(info.value)


def test_read_only_sas_reads_but_cannot_write(azurite: Azurite, driver: AzureBlobsStorageDriver,
                                              container: Container, caplog: pytest.LogCaptureFixture) -> None:
    driver.upload_object_via_stream([b"readable"], container, "r.txt")
    sas = _container_sas(azurite, container, read=True, list=True)
    reader = azurite.driver(sas_token=sas)
    assert [o.name for o in reader.list_container_objects(container)] == ["r.txt"]
    assert b"".join(reader.get_object(container.name, "r.txt").as_stream()) == b"readable"
    with caplog.at_level(logging.DEBUG), pytest.raises(PermissionDeniedError) as info:
        reader.upload_object_via_stream([b"nope"], container, "w.txt")
    assert info.value.http_status == 403 and info.value.code == "AuthorizationPermissionMismatch"
    signature = dict(parse_qsl(sas))["sig"]
    assert signature not in caplog.text and signature not in str(info.value) and signature not in repr(reader)
    assert driver.object_exists(container, "w.txt") is False


def test_sas_urls_for_get_and_put(driver: AzureBlobsStorageDriver, container: Container) -> None:
    obj = driver.upload_object_via_stream([b"shared"], container, "dir/s p.txt")
    url = driver.get_object_url(obj, expires_in=300)
    assert requests.get(url, timeout=10).content == b"shared"
    assert driver.get_object_cdn_url(obj).split("?")[0] == url.split("?")[0]
    refused = requests.put(url, data=b"x", headers={"x-ms-blob-type": "BlockBlob"}, timeout=10)
    assert refused.status_code == 403  # a GET URL grants read only
    put_url = driver.get_object_url(container, method="PUT", object_name="up/new.bin")
    stored = requests.put(put_url, data=b"uploaded", headers={"x-ms-blob-type": "BlockBlob"}, timeout=10)
    assert stored.status_code == 201
    assert b"".join(driver.get_object(container.name, "up/new.bin").as_stream()) == b"uploaded"


def test_expired_and_tampered_sas_are_refused(azurite: Azurite, driver: AzureBlobsStorageDriver,
                                              container: Container) -> None:
    driver.upload_object_via_stream([b"secret"], container, "s.txt")
    base = driver._blob_url(container.name, "s.txt")
    key = decode_key(azurite.key)

    def url(expiry: datetime, blob: str = "s.txt") -> str:
        return f"{base}?" + blob_sas(account=azurite.account, container=container.name, blob=blob,
                                     permissions="r", expiry=expiry, key=key)

    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert requests.get(url(later), timeout=10).status_code == 200
    assert requests.get(url(datetime.now(timezone.utc) - timedelta(minutes=1)), timeout=10).status_code == 403
    fields = dict(parse_qsl(urlsplit(url(later)).query))
    for name, value in (("sp", "rw"), ("se", (later + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))):
        tampered = f"{base}?{urlencode({**fields, name: value})}"
        assert requests.get(tampered, timeout=10).status_code == 403, name
    assert requests.get(url(later, blob="other.txt").replace("other.txt", "s.txt", 1), timeout=10).status_code == 403


def test_connection_string_and_credential_objects(azurite: Azurite, driver: AzureBlobsStorageDriver,
                                                  container: Container) -> None:
    driver.upload_object_via_stream([b"x"], container, "c.txt")
    sas = _container_sas(azurite, container, read=True, list=True)
    drivers = [
        AzureBlobsStorageDriver(connection_string=azurite.connection_string),
        AzureBlobsStorageDriver(connection_string=f"BlobEndpoint={azurite.endpoint};SharedAccessSignature={sas}"),
        azurite.driver(credential=AzureNamedKeyCredential(azurite.account, azurite.key)),
        azurite.driver(credential=AzureSasCredential(sas)),
        azurite.driver(credential=sas),
    ]
    for other in drivers:
        assert [o.name for o in other.list_container_objects(container)] == ["c.txt"], other


def test_environment_variables(azurite: Azurite, container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
    assert AzureBlobsStorageDriver().get_container(container.name).name == container.name
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", azurite.account)
    monkeypatch.setenv("AZURE_STORAGE_KEY", azurite.key)
    assert AzureBlobsStorageDriver(endpoint_url=azurite.endpoint).get_container(container.name)


# ---------------------------------------------------------------------- blocks, paging, copies, metadata


def test_stream_in_blocks_stores_md5_and_block_list(driver: AzureBlobsStorageDriver, container: Container,
                                                    sdk: ContainerClient) -> None:
    data = os.urandom(3 * MiB + 12345)
    obj = driver.upload_object_via_stream(iter([data[i:i + 100_000] for i in range(0, len(data), 100_000)]),
                                          container, "blocks.bin", part_size=MiB, multipart_threshold=MiB)
    assert obj.size == len(data) and obj.checksums["md5"] == hashlib.md5(data).hexdigest()
    committed, uncommitted = sdk.get_blob_client("blocks.bin").get_block_list("all")
    assert [block.size for block in committed] == [MiB, MiB, MiB, 12345] and not uncommitted
    assert len({block.id for block in committed}) == 4 and len({len(block.id) for block in committed}) == 1
    properties = sdk.get_blob_client("blocks.bin").get_blob_properties()
    assert properties.content_settings.content_md5 == hashlib.md5(data).digest()
    fetched = driver.get_object(container.name, "blocks.bin")
    assert b"".join(driver.download_object_as_stream(fetched)) == data


def test_failed_block_upload_leaves_nothing_visible(driver: AzureBlobsStorageDriver, container: Container,
                                                    sdk: ContainerClient) -> None:
    driver.upload_object_via_stream([b"old"], container, "kept.bin")

    def broken():  # type: ignore[no-untyped-def]
        yield os.urandom(2 * MiB)
        raise OSError("source failed")

    with pytest.raises(OSError, match="source failed"):
        driver.upload_object_via_stream(broken(), container, "kept.bin", part_size=MiB, multipart_threshold=MiB)
    assert b"".join(driver.get_object(container.name, "kept.bin").as_stream()) == b"old"
    assert [o.name for o in driver.list_container_objects(container)] == ["kept.bin"]


def test_paging_with_and_without_delimiter(driver: AzureBlobsStorageDriver, container: Container,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    names = sorted([f"d{i}/f{j}" for i in range(4) for j in range(3)] + [f"top{i:02d}" for i in range(9)])
    for name in names:
        driver.upload_object_via_stream([name.encode()], container, name)
    pages: list[int] = []
    list_page = driver._list_page

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        page = list_page(*args, **kwargs)
        objects = list(page.iter_objects())  # a streamed page is read once: hand on what was read
        pages.append(len(objects) + len(page.prefixes))
        return ObjectPage(objects, page.prefixes, page.next_token)

    monkeypatch.setattr(driver, "list_page_size", 5)
    monkeypatch.setattr(driver, "_list_page", counting)
    assert [o.name for o in driver.iterate_container_objects(container)] == names
    assert pages == [5, 5, 5, 5, 1]
    pages.clear()
    entries = list(driver.iterate_container_entries(container, delimiter="/"))
    assert [(e.name, isinstance(e, Prefix)) for e in entries] == (
        [(f"d{i}/", True) for i in range(4)] + [(f"top{i:02d}", False) for i in range(9)]
    )
    assert pages == [5, 5, 3]
    assert all(isinstance(e, Object) and e.size == len(e.name) for e in entries if not isinstance(e, Prefix))


def test_copy_keeps_content_md5_and_can_change_properties(driver: AzureBlobsStorageDriver,
                                                          container: Container) -> None:
    source = driver.upload_object_via_stream([b"copy me"], container, "a.txt",
                                             extra={"content_type": "text/plain", "cache_control": "no-cache"},
                                             ex_meta={"Origin": "Test"})
    copy = driver.copy_object(source, container, "b.txt")
    assert (copy.size, copy.meta_data, copy.extra["content_type"]) == (7, {"Origin": "Test"}, "text/plain")
    assert copy.checksums == source.checksums
    changed = driver.copy_object(source, container, "c.txt", extra={"content_type": "application/x-thing"},
                                 ex_meta={"New": "1"})
    assert (changed.extra["content_type"], changed.extra["cache_control"]) == ("application/x-thing", "no-cache")
    assert changed.meta_data == {"New": "1"} and changed.checksums == source.checksums
    assert b"".join(changed.as_stream()) == b"copy me"


def test_metadata_case_and_properties_kept(driver: AzureBlobsStorageDriver, container: Container,
                                           sdk: ContainerClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    meta = {"Author": "jane", "camelCase": "Kept", "UPPER_snake": "x y"}
    extra = {"content_type": "text/csv", "content_encoding": "identity", "content_language": "fr",
             "content_disposition": "attachment; filename=r.csv", "cache_control": "max-age=60",
             "storage_class": "Cool"}
    source = tmp_path / "r.csv"
    source.write_bytes(b"a,b\n")
    driver.upload_object(str(source), container, "r.csv", extra=extra, ex_meta=meta)
    fetched = driver.get_object(container.name, "r.csv")
    listed = driver.list_container_objects(container)[0]
    for obj in (fetched, listed):
        assert obj.meta_data == meta
        assert {key: obj.extra.get(key) for key in extra} == extra
        assert obj.checksums["md5"] == hashlib.md5(b"a,b\n").hexdigest()
    assert sdk.get_blob_client("r.csv").get_blob_properties().metadata == meta


def test_invalid_options_fail_before_sending(driver: AzureBlobsStorageDriver, container: Container) -> None:
    with pytest.raises(NotSupportedError, match="PageBlob"):
        driver.upload_object_via_stream([b"x"], container, "p", extra={"blob_type": "PageBlob"})
    with pytest.raises(InvalidOptionError, match="C# identifiers"):
        driver.upload_object_via_stream([b"x"], container, "p", ex_meta={"has-dash": "1"})
    with pytest.raises(ObjectDoesNotExistError):
        driver.get_object(container.name, "p")


# ---------------------------------------------------------------------- azure-storage-blob interop


def test_sdk_block_upload_is_read_by_storagekit(driver: AzureBlobsStorageDriver, container: Container,
                                                sdk: ContainerClient) -> None:
    data = os.urandom(3 * MiB + 7)
    sdk._config.max_single_put_size = MiB
    sdk._config.max_block_size = MiB
    sdk.upload_blob("sdk.bin", data, metadata={"Writer": "SDK"},
                    content_settings=ContentSettings(content_type="application/x-sdk"))
    assert len(sdk.get_blob_client("sdk.bin").get_block_list()[0]) == 4
    obj = driver.get_object(container.name, "sdk.bin")
    assert (obj.size, obj.meta_data, obj.extra["content_type"]) == (len(data), {"Writer": "SDK"}, "application/x-sdk")
    assert b"".join(obj.as_stream()) == data
    assert b"".join(obj.range_as_stream(MiB - 3, 2 * MiB + 3)) == data[MiB - 3: 2 * MiB + 3]


def test_storagekit_upload_is_read_by_sdk(driver: AzureBlobsStorageDriver, container: Container,
                                          sdk: ContainerClient) -> None:
    big, small = os.urandom(2 * MiB + 1), b"small object"
    driver.upload_object_via_stream([big], container, "big.bin", part_size=MiB, multipart_threshold=MiB,
                                    extra={"content_type": "application/x-big"}, ex_meta={"Kind": "Big"})
    driver.upload_object_via_stream([small], container, "small.txt", ex_meta={"Kind": "Small"})
    for name, data, content_type, kind in (("big.bin", big, "application/x-big", "Big"),
                                           ("small.txt", small, "text/plain", "Small")):
        client = sdk.get_blob_client(name)
        assert client.download_blob(validate_content=False).readall() == data
        properties = client.get_blob_properties()
        assert properties.metadata == {"Kind": kind}
        assert properties.content_settings.content_type == content_type
        assert properties.content_settings.content_md5 == hashlib.md5(data).digest()


def test_read_pinned_to_etag(driver: AzureBlobsStorageDriver, container: Container) -> None:
    old = driver.upload_object_via_stream([b"version one"], container, "v.txt")
    driver.upload_object_via_stream([b"version two"], container, "v.txt")
    with pytest.raises(PreconditionFailedError):
        b"".join(old.as_stream())

