"""libcloud's documented constructor calls, unchanged, against the real servers.

libcloud's MinIO example is ``get_driver(Provider.MINIO)(key, secret, secure=False, host=..., port=...)``
(SeaweedFS plays the MinIO server here), its Azurite example
``get_driver(Provider.AZURE_BLOBS)(account, key, host=..., port=..., secure=False)``, and its S3
order is ``(key, secret, secure, host, port, region, token)``.
"""

from __future__ import annotations

import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from storagekit.base import StorageDriver
from storagekit.models import Object
from storagekit.providers import get_driver
from storagekit.types import Provider
from tests.support.s3 import SeaweedFS
from tests.support.servers import Azurite

DATA = b"0123456789" * 1000


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    return parts.hostname, parts.port


def _round_trip(driver: StorageDriver, tmp_path: Path) -> Iterator[Object]:
    """Create, upload, read back whole, by range and as an ``Object`` of unknown size; clean up."""
    container = driver.create_container(f"lc-{uuid.uuid4().hex[:12]}")
    try:
        obj = container.upload_object_via_stream(iter([DATA]), "docs/a.bin")
        assert obj.size == len(DATA)
        assert b"".join(container.download_object_range_as_stream(obj, 10, 25)) == DATA[10:25]
        assert container.download_object_range(obj, str(tmp_path / "r.bin"), 995) is True
        assert (tmp_path / "r.bin").read_bytes() == DATA[995:]
        blind = Object("docs/a.bin", None, None, {}, {}, container, driver)  # type: ignore[arg-type]
        assert b"".join(driver.download_object_as_stream(blind)) == DATA
        assert driver.download_object(blind, str(tmp_path / "w.bin")) is True
        assert (tmp_path / "w.bin").read_bytes() == DATA
        yield obj
    finally:
        for leftover in container.list_objects():
            leftover.delete()
        container.delete()


def test_libclouds_minio_example(seaweedfs: SeaweedFS, tmp_path: Path) -> None:
    host, port = _host_port(seaweedfs.endpoint_url)
    driver = get_driver(Provider.MINIO)(seaweedfs.access_key, seaweedfs.secret_key, secure=False, host=host,
                                        port=port)
    for obj in _round_trip(driver, tmp_path):
        assert driver.get_object(obj.container.name, obj.name).hash == obj.hash


@pytest.mark.parametrize("provider", [Provider.S3, Provider.S3_EU_WEST3, Provider.S3_US_WEST_OREGON])
def test_s3_positional_order_and_regions(seaweedfs: SeaweedFS, tmp_path: Path, provider: Provider) -> None:
    """``(key, secret, secure, host, port)`` positionally; the region comes from the preset (or the 6th argument)."""
    host, port = _host_port(seaweedfs.endpoint_url)
    driver = get_driver(provider)(seaweedfs.access_key, seaweedfs.secret_key, False, host, port)
    assert driver.region == {Provider.S3: "us-east-1", Provider.S3_EU_WEST3: "eu-west-3",  # type: ignore[attr-defined]
                             Provider.S3_US_WEST_OREGON: "us-west-2"}[provider]
    for obj in _round_trip(driver, tmp_path):
        url = driver.get_object_cdn_url(obj, ex_expiry=0.5)
        assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["1800"]
        with urllib.request.urlopen(url, timeout=30) as answer:
            assert answer.read() == DATA
    by_region = get_driver(Provider.S3)(seaweedfs.access_key, seaweedfs.secret_key, False, host, port, "eu-west-3")
    assert by_region.region == "eu-west-3"  # type: ignore[attr-defined]


def test_libclouds_azurite_example(azurite: Azurite, tmp_path: Path) -> None:
    host, port = _host_port(azurite.endpoint)
    driver = get_driver(Provider.AZURE_BLOBS)(azurite.account, azurite.key, host=host, port=port, secure=False)
    for obj in _round_trip(driver, tmp_path):
        with urllib.request.urlopen(driver.get_object_cdn_url(obj, ex_expiry=1), timeout=30) as answer:
            assert answer.read() == DATA
    positional = get_driver(Provider.AZURE_BLOBS)(azurite.account, azurite.key, False, host, port)
    assert [c.name for c in positional.list_containers()] == [c.name for c in driver.list_containers()]
