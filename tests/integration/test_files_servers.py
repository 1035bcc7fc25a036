"""File objects against the real servers through the fault proxy: a byte flipped on the wire
during a whole in-order read is an ObjectHashMismatchError; the same read of intact bytes passes."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from storagekit.base import StorageDriver
from storagekit.http import ResponseEvent
from storagekit.types import ObjectHashMismatchError
from tests.integration.test_faults import FAST_RETRY, _azure, _gcs, _s3, _swift
from tests.support.proxy import Fault, FaultProxy

DATA = os.urandom(700_000)


@pytest.fixture(scope="module", params=["s3", "azure_blobs", "google_storage", "swift"])
def server(request: pytest.FixtureRequest) -> tuple[str, Callable[..., StorageDriver]]:
    """(the server's scheme://host:port, a factory of drivers at such an address) for one provider."""
    return {"s3": _s3, "azure_blobs": _azure, "google_storage": _gcs, "swift": _swift}[request.param](request)


@pytest.fixture(scope="module")
def proxied(server: tuple[str, Callable[..., StorageDriver]]) -> Iterator[tuple[FaultProxy, StorageDriver,
                                                                                StorageDriver]]:
    """(proxy, driver through the proxy, driver straight to the server)."""
    upstream, driver_at = server
    with FaultProxy(upstream) as proxy:
        yield proxy, driver_at(proxy.url, timeout=(2.0, 2.0), retry=FAST_RETRY), driver_at(upstream)


@pytest.fixture
def stored(proxied: tuple[FaultProxy, StorageDriver, StorageDriver]) -> Iterator[tuple[str, str]]:
    """(container name, object name) of DATA, stored straight on the server."""
    _, _, direct = proxied
    container = direct.create_container(f"files-{uuid.uuid4().hex[:12]}")
    obj = direct.upload_object_via_stream([DATA], container, "table.bin")
    yield container.name, obj.name
    direct.delete_object(obj)
    direct.delete_container(container)


def test_a_flipped_byte_in_a_whole_read_is_a_mismatch(
    proxied: tuple[FaultProxy, StorageDriver, StorageDriver], stored: tuple[str, str]
) -> None:
    proxy, via, _ = proxied
    container, name = stored
    with via.open(container, name, "rb") as file:
        assert file.read() == DATA
    proxy.clear()
    with via.open(container, name, "rb") as file:
        proxy.inject(Fault("flip", after=100, method="GET", path_contains=name))  # the first ranged GET
        with pytest.raises(ObjectHashMismatchError, match="arrived corrupt"):
            while file.read(50_000):
                pass
    assert [kind for _, _, kind in proxy.log].count("flip") == 1
    proxy.clear()


def test_a_footer_read_fetches_a_small_part(
    server: tuple[str, Callable[..., StorageDriver]], stored: tuple[str, str]
) -> None:
    """Counted on the wire: the body bytes of every GET, as the transport's response hooks see them."""
    received: list[int] = []

    def count(event: ResponseEvent) -> None:
        if event.request.method == "GET" and event.status_code in (200, 206):
            received.append(int(event.headers.get("Content-Length") or event.headers.get("content-length") or 0))

    upstream, driver_at = server
    driver = driver_at(upstream, hooks={"response": [count]})
    container, name = stored
    with driver.open(container, name, "rb") as file:
        received.clear()  # what opening asked (GCS reads an object's metadata with a GET)
        file.seek(-8, io.SEEK_END)
        assert file.read(8) == DATA[-8:]
        file.seek(-20_008, io.SEEK_END)
        assert file.read(20_000) == DATA[-20_008:-8]
    assert 1 <= len(received) <= 2
    assert 0 < sum(received) < len(DATA) // 10
