"""python-swiftclient and storagekit read each other's objects, large ones (SLO, DLO) included."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from swiftclient.client import Connection

from storagekit.drivers.swift import SwiftStorageDriver
from storagekit.models import Container
from tests.support.swift import SwiftServer

MiB = 1024 * 1024


@pytest.fixture
def swiftclient(swift_server: SwiftServer) -> Connection:
    return Connection(authurl=swift_server.auth_url, user=swift_server.user, key=swift_server.key, auth_version="1",
                      retries=0)


def test_an_object_swiftclient_wrote_is_read_back_verified(
    swift_driver: SwiftStorageDriver, swiftclient: Connection, container: Container, tmp_path: Path
) -> None:
    data = os.urandom(700_000)
    swiftclient.put_object(container.name, "by/swiftclient.bin", data, content_type="application/x-test",
                           headers={"X-Object-Meta-Origin": "swiftclient"})
    obj = swift_driver.get_object(container.name, "by/swiftclient.bin")
    assert obj.checksums == {"md5": hashlib.md5(data).hexdigest()}
    assert obj.meta_data == {"origin": "swiftclient"} and obj.extra["content_type"] == "application/x-test"
    swift_driver.download_object(obj, tmp_path / "out.bin")
    assert (tmp_path / "out.bin").read_bytes() == data


def test_large_objects_swiftclient_wrote_are_read_back(
    swift_driver: SwiftStorageDriver, swiftclient: Connection, container: Container
) -> None:
    segments = f"{container.name}_segments"
    swiftclient.put_container(segments)
    pieces = [os.urandom(MiB), os.urandom(MiB), os.urandom(12345)]
    manifest = []
    for number, piece in enumerate(pieces):
        etag = swiftclient.put_object(segments, f"dlo/{number:04d}", piece)
        manifest.append({"path": f"/{segments}/dlo/{number:04d}", "etag": etag, "size_bytes": len(piece)})
    swiftclient.put_object(container.name, "dynamic", b"", headers={"X-Object-Manifest": f"{segments}/dlo/"})
    swiftclient.put_object(container.name, "static", json.dumps(manifest), query_string="multipart-manifest=put")
    whole = b"".join(pieces)
    for name in ("dynamic", "static"):
        obj = swift_driver.get_object(container.name, name)
        assert obj.size == len(whole) and obj.checksums == {}, name  # another client's large object: size only
        assert b"".join(swift_driver.download_object_as_stream(obj, part_size=MiB, max_concurrency=2)) == whole
    swift_driver.delete_object(swift_driver.get_object(container.name, "static"))
    assert swiftclient.get_container(segments)[1] == []  # the SLO went with its segments


def test_objects_storagekit_wrote_are_read_by_swiftclient(
    swift_driver: SwiftStorageDriver, swiftclient: Connection, container: Container
) -> None:
    small, large = os.urandom(1000), os.urandom(2 * MiB + 77)
    swift_driver.upload_object_via_stream([small], container, "small", ex_meta={"by": "storagekit"})
    swift_driver.upload_object_via_stream([large], container, "large", part_size=MiB, multipart_threshold=MiB)
    headers, body = swiftclient.get_object(container.name, "small")
    assert body == small and headers["etag"] == hashlib.md5(small).hexdigest()
    assert headers["x-object-meta-by"] == "storagekit"
    headers, body = swiftclient.get_object(container.name, "large")
    assert body == large and headers["x-static-large-object"] == "True"
    listed = {entry["name"]: entry["bytes"] for entry in swiftclient.get_container(container.name)[1]}
    assert listed == {"small": len(small), "large": len(large)}
