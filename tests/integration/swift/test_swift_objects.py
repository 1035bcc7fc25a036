"""The Swift driver against the real Swift: SLOs, TempURLs, bulk delete, copies, conditional writes."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator

import pytest
import requests

from storagekit.drivers.swift import SwiftStorageDriver
from storagekit.http import RequestEvent
from storagekit.models import Container, Object
from storagekit.types import (
    InvalidOptionError,
    NotSupportedError,
    ObjectDoesNotExistError,
    ObjectHashMismatchError,
    PreconditionFailedError,
)
from tests.support.swift import TEMP_URL_KEY, SwiftServer

MiB = 1024 * 1024
SMALL_PARTS = {"part_size": MiB, "multipart_threshold": MiB}


def _segments(driver: SwiftStorageDriver, container: Container) -> list[str]:
    segments = driver._as_container(driver.segment_container_for(container))
    return [obj.name for obj in driver.list_container_objects(segments)]


def _manifest(server: SwiftServer, container: str, name: str) -> list[dict[str, object]]:
    storage_url, token = server.login()
    response = requests.get(f"{storage_url}/{container}/{name}?multipart-manifest=get", timeout=10,
                            headers={"X-Auth-Token": token})
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def test_an_slo_of_four_segments_is_checked_read_back_and_deleted_with_them(
    swift_driver: SwiftStorageDriver, swift_server: SwiftServer, container: Container
) -> None:
    data = os.urandom(3 * MiB + 1234)
    obj = swift_driver.upload_object_via_stream(iter([data[i:i + 300_000] for i in range(0, len(data), 300_000)]),
                                                container, "big.bin", **SMALL_PARTS)
    assert obj.extra["static_large_object"] is True and obj.size == len(data)
    manifest = _manifest(swift_server, container.name, "big.bin")
    assert [entry["bytes"] for entry in manifest] == [MiB, MiB, MiB, 1234]
    assert [entry["hash"] for entry in manifest] == [hashlib.md5(data[i:i + MiB]).hexdigest()
                                                   for i in range(0, len(data), MiB)]
    assert obj.checksums == {"md5": hashlib.md5(data).hexdigest()}
    assert "storagekit-md5" not in obj.meta_data
    listed = swift_driver.list_container_objects(container)[0]
    assert b"".join(swift_driver.download_object_as_stream(listed)) == data
    assert b"".join(swift_driver.download_object_as_stream(obj, max_concurrency=3, part_size=MiB)) == data
    assert len(_segments(swift_driver, container)) == 4
    swift_driver.delete_object(obj)
    assert _segments(swift_driver, container) == []
    assert swift_driver.list_container_objects(container) == []


def test_an_aborted_slo_upload_leaves_no_segments(swift_driver: SwiftStorageDriver, container: Container) -> None:
    def source() -> Iterator[bytes]:
        for _ in range(3):
            yield os.urandom(MiB)
        raise RuntimeError("the source failed")

    with pytest.raises(RuntimeError, match="the source failed"):
        swift_driver.upload_object_via_stream(source(), container, "never.bin", **SMALL_PARTS)
    assert _segments(swift_driver, container) == []
    assert swift_driver.list_container_objects(container) == []


def test_segments_go_where_the_driver_is_told(swift_server: SwiftServer, container: Container) -> None:
    driver = swift_server.driver(segment_container=f"{container.name}-parts")
    driver.create_container(f"{container.name}-parts")
    obj = driver.upload_object_via_stream([os.urandom(2 * MiB + 1)], container, "elsewhere", **SMALL_PARTS)
    assert len(driver.list_container_objects(driver._as_container(f"{container.name}-parts"))) == 3
    driver.delete_object(obj)
    driver.delete_container(driver._as_container(f"{container.name}-parts"))  # empty again


def test_temp_urls_for_get_and_put_work_with_plain_http(swift_driver: SwiftStorageDriver, container: Container) -> None:
    obj = swift_driver.upload_object_via_stream([b"shared bytes"], container, "dir/shared file.txt")
    assert requests.get(swift_driver.get_object_url(obj, expires_in=60), timeout=10).content == b"shared bytes"
    put_url = swift_driver.get_object_url(container, expires_in=60, method="PUT", object_name="dropped/in.bin")
    assert requests.put(put_url, data=b"uploaded by anyone", timeout=10).status_code == 201
    dropped = swift_driver.get_object(container.name, "dropped/in.bin")
    assert b"".join(dropped.as_stream()) == b"uploaded by anyone"


def test_a_tampered_or_expired_temp_url_is_refused(swift_driver: SwiftStorageDriver, container: Container) -> None:
    obj = swift_driver.upload_object_via_stream([b"secret"], container, "s.txt")
    url = swift_driver.get_object_url(obj, expires_in=60)
    signature = url.split("temp_url_sig=")[1].split("&")[0]
    tampered = url.replace(signature, signature[:-1] + ("0" if signature[-1] != "0" else "1"))
    assert requests.get(tampered, timeout=10).status_code == 401
    other_object = url.replace("/s.txt?", "/t.txt?")
    assert requests.get(other_object, timeout=10).status_code == 401
    short = swift_driver.get_object_url(obj, expires_in=1)
    expires = int(short.rsplit("temp_url_expires=", 1)[1])
    while time.time() <= expires + 0.5:  # wait until the URL is past its expiry
        time.sleep(0.25)
    assert requests.get(short, timeout=10).status_code == 401


def test_the_temp_url_key_may_be_given(swift_server: SwiftServer, container: Container) -> None:
    obj = swift_server.driver().upload_object_via_stream([b"k"], container, "k.txt")
    given = swift_server.driver(temp_url_key=TEMP_URL_KEY)
    assert requests.get(given.get_object_url(obj), timeout=10).content == b"k"
    wrong = swift_server.driver(temp_url_key="not-the-account-key")
    assert requests.get(wrong.get_object_url(obj), timeout=10).status_code == 401


def test_bulk_delete_is_one_request_and_ignores_missing_names(swift_server: SwiftServer, container: Container) -> None:
    events: list[RequestEvent] = []
    driver = swift_server.driver(hooks={"request": [events.append]})
    objects = [driver.upload_object_via_stream([b"x"], container, f"bulk/{i:02d} name") for i in range(25)]
    events.clear()
    assert driver.delete_objects([*objects, Object("never-there", 0, None, {}, {}, objects[0].container, driver)]) == []
    assert [(event.method, "bulk-delete" in event.url) for event in events] == [("POST", True)]
    assert driver.list_container_objects(container) == []


def test_copies_are_server_side_and_take_new_metadata(swift_server: SwiftServer, container: Container) -> None:
    events: list[RequestEvent] = []
    driver = swift_server.driver(hooks={"request": [events.append]})
    mine = driver._as_container(container.name)  # a container of this driver: the copy stays server-side
    source = driver.upload_object_via_stream([b"copy me"], mine, "src.txt", ex_meta={"a": "1"},
                                             extra={"content_type": "text/plain"})
    events.clear()
    copy = driver.copy_object(source, mine, "dst.txt", ex_meta={"b": "2"})
    assert [event.method for event in events] == ["PUT", "HEAD"]
    assert "X-Copy-From" in events[0].headers
    assert copy.meta_data == {"b": "2"} and copy.extra["content_type"] == "text/plain"
    assert b"".join(copy.as_stream()) == b"copy me"


def _read_back_verified(driver: SwiftStorageDriver, copy: Object, data: bytes) -> None:
    """The copy reads back whole and in pinned ranges, and its download is checked against its MD5."""
    assert copy.checksums == {"md5": hashlib.md5(data).hexdigest()} and copy.hash == copy.checksums["md5"]
    assert b"".join(driver.download_object_as_stream(copy)) == data
    assert b"".join(driver.download_object_as_stream(copy, max_concurrency=2, part_size=MiB)) == data
    assert b"".join(driver.download_object_range_as_stream(copy, 10, 20)) == data[10:20]
    lying = Object(copy.name, copy.size, copy.hash, dict(copy.extra), {}, copy.container, driver,
                   {"md5": hashlib.md5(b"something else").hexdigest()})
    with pytest.raises(ObjectHashMismatchError):
        b"".join(driver.download_object_as_stream(lying))


def test_an_slo_copy_is_a_whole_object_read_back_verified(swift_driver: SwiftStorageDriver,
                                                          container: Container) -> None:
    """Swift's copy middleware carries the SLO's X-Object-Sysmeta-Slo-Etag into the plain copy, and
    the object server then checks If-Match against that hidden ETag: reads must not rely on it."""
    data = os.urandom(2 * MiB + 5)
    source = swift_driver.upload_object_via_stream([data], container, "large", **SMALL_PARTS)
    copy = swift_driver.copy_object(source, container, "large-copy")
    assert "static_large_object" not in copy.extra
    _read_back_verified(swift_driver, copy, data)
    listed = {obj.name: obj for obj in swift_driver.list_container_objects(container)}["large-copy"]
    assert b"".join(swift_driver.download_object_as_stream(listed)) == data
    _read_back_verified(swift_driver, swift_driver.copy_object(copy, container, "copy-of-copy"), data)


def test_a_dlo_copy_is_a_whole_object_read_back_verified(swift_driver: SwiftStorageDriver, swift_server: SwiftServer,
                                                        container: Container) -> None:
    data = os.urandom(MiB + 7)
    for index, first in enumerate(range(0, len(data), 600_000)):
        swift_driver.upload_object_via_stream([data[first:first + 600_000]], container, f"dlo-segments/{index:02d}")
    storage_url, token = swift_server.login()
    requests.put(f"{storage_url}/{container.name}/dlo", data=b"", timeout=10, headers={
        "X-Auth-Token": token, "X-Object-Manifest": f"{container.name}/dlo-segments/"}).raise_for_status()
    source = swift_driver.get_object(container.name, "dlo")
    assert source.extra["object_manifest"] == f"{container.name}/dlo-segments/" and source.checksums == {}
    copy = swift_driver.copy_object(source, container, "dlo-copy")
    assert "object_manifest" not in copy.extra
    _read_back_verified(swift_driver, copy, data)


def test_a_read_is_pinned_to_the_etag_it_started_with(swift_driver: SwiftStorageDriver, container: Container) -> None:
    before = swift_driver.upload_object_via_stream([b"first version"], container, "pinned")
    swift_driver.upload_object_via_stream([b"second version"], container, "pinned")
    with pytest.raises(PreconditionFailedError, match="changed"):
        b"".join(swift_driver.download_object_as_stream(before))
    swift_driver._request("DELETE", container.name, "pinned")
    with pytest.raises(ObjectDoesNotExistError):
        b"".join(swift_driver.download_object_as_stream(before))


def test_create_only_writes(swift_driver: SwiftStorageDriver, container: Container) -> None:
    swift_driver.upload_object_via_stream([b"first"], container, "once", extra={"if_none_match": "*"})
    with pytest.raises(PreconditionFailedError):
        swift_driver.upload_object_via_stream([b"second"], container, "once", extra={"if_none_match": "*"})
    assert b"".join(swift_driver.get_object(container.name, "once").as_stream()) == b"first"


def test_if_match_is_refused(swift_server: SwiftServer, container: Container) -> None:
    events: list[RequestEvent] = []
    driver = swift_server.driver(hooks={"request": [events.append]})
    with pytest.raises(NotSupportedError, match="If-Match"):
        driver.upload_object_via_stream([b"x"], container, "cas", extra={"if_match": "abc"})
    assert [event.method for event in events if event.method == "PUT"] == []


def test_metadata_names_with_underscores_come_back(swift_server: SwiftServer, container: Container) -> None:
    """WSGI folds '_' into '-' in header names: the driver sends it as %5F and reads it back."""
    events: list[RequestEvent] = []
    driver = swift_server.driver(hooks={"request": [events.append]})
    meta = {"Project_Name": "Apollo", "50%_off": "yes", "plain-name": "1"}
    driver.upload_object_via_stream([b"x"], driver._as_container(container.name), "m", ex_meta=meta)
    assert driver.get_object(container.name, "m").meta_data == {k.lower(): v for k, v in meta.items()}
    assert any("X-Object-Meta-Project%5FName" in event.headers for event in events if event.method == "PUT")


def test_metadata_swift_cannot_keep_is_refused(swift_driver: SwiftStorageDriver, container: Container) -> None:
    with pytest.raises(InvalidOptionError, match="city name"):
        swift_driver.upload_object_via_stream([b"x"], container, "m", ex_meta={"city name": "Zurich"})
    with pytest.raises(InvalidOptionError, match="ASCII"):
        swift_driver.upload_object_via_stream([b"x"], container, "m", ex_meta={"city": "Zürich"})
    assert swift_driver.list_container_objects(container) == []


def test_expiry_headers_pass_through(swift_driver: SwiftStorageDriver, container: Container) -> None:
    swift_driver.upload_object_via_stream([b"short-lived"], container, "tmp", headers={"X-Delete-After": "3600"})
    delete_at = int(swift_driver.get_object(container.name, "tmp").extra["delete_at"])
    assert time.time() + 3000 < delete_at <= time.time() + 3700


def test_deleting_a_missing_object_says_so(swift_driver: SwiftStorageDriver, container: Container) -> None:
    obj = swift_driver.upload_object_via_stream([b"x"], container, "gone")
    swift_driver.delete_object(obj)
    with pytest.raises(ObjectDoesNotExistError):
        swift_driver.delete_object(obj)
