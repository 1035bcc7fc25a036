"""The base's argument checks on every driver: each bad input is a typed storagekit error raised
before anything is sent (the cloud drivers face a local server that records every request) or
written (local and memory keep nothing)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from storagekit.base import StorageDriver
from storagekit.models import Container, Object
from storagekit.providers import get_driver
from storagekit.types import InvalidObjectNameError, InvalidOptionError, NotSupportedError, Provider
from tests.support.hostile_clouds import CLOUDS, RawServer, cloud_driver, response

DRIVERS = (*CLOUDS, "local", "memory")
BAD_NAMES = [1, b"a.txt", "\ud800", "a\udfffb.txt", None, ""]


@pytest.fixture(params=DRIVERS)
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[StorageDriver, Callable[[], list[str]]]]:
    """A driver and a function saying what reached the store: requests sent, or files and objects kept."""
    provider = request.param
    if provider in CLOUDS:
        with RawServer(response(500)) as server:
            yield cloud_driver(provider, server.url), lambda: list(server.requests)
        return
    if provider == "local":
        driver = get_driver(Provider.LOCAL)(str(tmp_path))
        driver.create_container("box")

        def kept() -> list[str]:
            return sorted(os.path.relpath(os.path.join(d, f), tmp_path) for d, _, fs in os.walk(tmp_path / "box")
                          for f in fs)
        yield driver, kept
        return
    driver = get_driver(Provider.MEMORY)()
    driver.create_container("box")
    yield driver, lambda: [o.name for o in driver.list_container_objects(driver.get_container("box"))]


def box(driver: StorageDriver) -> Container:
    return Container("box", {}, driver)


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_bad_object_names_are_refused_before_anything_is_sent(setup: Any, name: Any, tmp_path: Path) -> None:
    driver, reached = setup
    before = reached()
    source = tmp_path / "source.txt"
    source.write_bytes(b"abc")
    calls = [
        lambda: driver.get_object("box", name),
        lambda: driver.object_exists("box", name),
        lambda: driver.upload_object_via_stream(iter([b"abc"]), box(driver), name),
        lambda: driver.upload_object(str(source), box(driver), name),
    ]
    for call in calls:
        with pytest.raises(InvalidObjectNameError) as info:
            call()
        assert "invalid object name" in str(info.value)
    assert reached() == before


def test_a_lone_surrogate_is_named_in_the_message() -> None:
    driver = get_driver(Provider.MEMORY)()
    with pytest.raises(InvalidObjectNameError, match=r"'\\ud800' at 1 is a lone surrogate"):
        driver.get_object("box", "a\ud800")


@pytest.mark.parametrize("expires_in", ["300", math.nan, math.inf, -math.inf, 0, -1, True, None, b"300"], ids=repr)
@pytest.mark.parametrize("provider", CLOUDS)
def test_bad_expires_in_is_an_invalid_option(provider: str, expires_in: Any) -> None:
    driver = cloud_driver(provider, "http://127.0.0.1:9")
    obj = Object("a.txt", 1, "e", {}, {}, box(driver), driver)
    with pytest.raises(InvalidOptionError, match="expires_in must be a positive, finite number"):
        driver.get_object_url(obj, expires_in=expires_in)


def test_a_fractional_expires_in_is_rounded_up_not_down_to_zero() -> None:
    driver = cloud_driver("s3", "http://127.0.0.1:9")
    url = driver.get_object_url(Object("a.txt", 1, "e", {}, {}, box(driver), driver), expires_in=0.5)
    assert "X-Amz-Expires=1&" in url


HEADER_BREAKERS = ["text/plain\r\nx-amz-acl: public-read", "text/plain\nContent-Type: text/html", "a\x00b", "a\rb"]


@pytest.mark.parametrize("value", HEADER_BREAKERS, ids=repr)
@pytest.mark.parametrize("where", ["content_type", "meta_value", "meta_name", "header_value", "header_name",
                                   "cache_control"])
def test_control_characters_in_header_borne_options_are_refused(setup: Any, value: str, where: str) -> None:
    driver, reached = setup
    before = reached()
    arguments: dict[str, Any] = {
        "content_type": {"extra": {"content_type": value}},
        "cache_control": {"extra": {"CacheControl": value}},
        "meta_value": {"ex_meta": {"album": value}},
        "meta_name": {"extra": {"meta_data": {value: "x"}}},
        "header_value": {"headers": {"x-custom": value}},
        "header_name": {"headers": {value: "x"}},
    }[where]
    with pytest.raises(InvalidOptionError, match="control character"):
        driver.upload_object_via_stream(iter([b"abc"]), box(driver), "a.txt", **arguments)
    assert reached() == before


def test_a_gcs_content_type_can_never_reach_the_multipart_body_with_a_line_break() -> None:
    """GCS splices the content type into the part headers of its multipart upload body: refused first."""
    with RawServer(response(500)) as server:
        driver = cloud_driver("google_storage", server.url)
        with pytest.raises(InvalidOptionError, match=r"'\\r' at 10"):
            driver.upload_object_via_stream(iter([b"abc"]), box(driver), "a.txt",
                                            extra={"content_type": "text/plain\r\nContent-Type: text/html"})
    assert server.requests == []


LIMITS = {"s3": 2048, "azure_blobs": 8192, "google_storage": 8192}


@pytest.mark.parametrize("provider", CLOUDS)
def test_metadata_over_the_providers_limit_is_refused_before_sending(provider: str) -> None:
    limit = LIMITS[provider]
    with RawServer(response(500)) as server:
        driver = cloud_driver(provider, server.url)
        assert driver.metadata_limit == limit
        too_much = {"big": "x" * (limit - len("big") + 1)}
        with pytest.raises(InvalidOptionError, match=f"takes {limit + 1} bytes .* at most {limit}"):
            driver.upload_object_via_stream(iter([b"abc"]), box(driver), "a.txt", ex_meta=too_much)
        source = Object("src.txt", 3, "e", {}, {}, box(driver), driver)
        with pytest.raises(InvalidOptionError, match="at most"):
            driver.copy_object(source, box(driver), "copy.txt", ex_meta=too_much)
    assert server.requests == []


def test_metadata_size_counts_utf8_bytes_of_names_and_values() -> None:
    with RawServer(response(500)) as server:
        driver = cloud_driver("s3", server.url)
        with pytest.raises(InvalidOptionError, match="takes 2050 bytes"):  # 1 + 1024 two-byte characters + 1
            driver.upload_object_via_stream(iter([b"a"]), box(driver), "a.txt", ex_meta={"k": "é" * 1024, "v": ""})
    assert server.requests == []


# ---------------------------------------------------------------- libcloud's idioms


def test_libclouds_range_rules_and_words(memory_driver: StorageDriver, tmp_path: Path) -> None:
    """libcloud's messages (its own tests match them); a stream checks only when it is read."""
    container = memory_driver.create_container("ranges-libcloud")
    obj = container.upload_object_via_stream([b"0123456789"], "r")
    for start, end, words in ((-1, None, "start_bytes must be greater than 0"),
                              (5, 4, "start_bytes must be smaller than end_bytes"),
                              (5, 5, "start_bytes and end_bytes can't be the same"),
                              ("1", None, "must be integers")):
        stream = memory_driver.download_object_range_as_stream(obj, start, end)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=words):
            b"".join(stream)
        with pytest.raises(ValueError, match=words):
            container.download_object_range(obj, str(tmp_path / "r.bin"), start, end)  # type: ignore[arg-type]
    assert not (tmp_path / "r.bin").exists()
    assert b"".join(container.download_object_range_as_stream(obj, 2, 4)) == b"23"


def test_an_object_of_unknown_size_is_read_whole_and_checked(memory_driver: StorageDriver, tmp_path: Path) -> None:
    container = memory_driver.create_container("unsized-libcloud")
    container.upload_object_via_stream([b"hello world"], "h")
    blind = Object("h", None, None, {}, {}, container, memory_driver)  # type: ignore[arg-type]
    assert b"".join(memory_driver.download_object_as_stream(blind)) == b"hello world"
    assert b"".join(memory_driver.download_object_range_as_stream(blind, 6)) == b"world"
    assert memory_driver.download_object(blind, str(tmp_path / "h")) and (tmp_path / "h").read_bytes() == b"hello world"
    assert blind.size is None  # the caller's object is left as it was


def test_ex_storage_class_is_extras_storage_class(memory_driver: StorageDriver) -> None:
    container = memory_driver.create_container("class-libcloud")
    obj = memory_driver.upload_object_via_stream([b"x"], container, "c", ex_storage_class="COLD")
    assert memory_driver.get_object(container.name, obj.name).extra["storage_class"] == "COLD"
    with pytest.raises(InvalidOptionError, match="disagree"):
        memory_driver.upload_object_via_stream([b"x"], container, "c", extra={"storage_class": "HOT"},
                                               ex_storage_class="COLD")


def test_cdn_url_expiry_is_in_hours_as_in_libcloud() -> None:
    driver = get_driver(Provider.S3)("AKIDEXAMPLE", "secret", region="us-east-1")
    obj = Object("a.txt", 1, None, {}, {}, Container("bucket", {}, driver), driver)
    assert "X-Amz-Expires=86400" in driver.get_object_cdn_url(obj)
    assert "X-Amz-Expires=5400" in driver.get_object_cdn_url(obj, ex_expiry=1.5)
    assert "X-Amz-Expires=3600" in driver.get_object_cdn_url(obj, ex_expiry=1, ex_method="PUT")
    with pytest.raises(NotSupportedError):
        driver.get_object_cdn_url(obj, ex_method="DELETE")
    for bad in (0, -1, "2", True):
        with pytest.raises(InvalidOptionError, match="ex_expiry"):
            driver.get_object_cdn_url(obj, ex_expiry=bad)  # type: ignore[arg-type]
