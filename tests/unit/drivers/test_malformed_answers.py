"""What the cloud drivers make of answers no real server sends, served by a hostile local server.

Every malformed answer is a MalformedResponseError that names what was wrong (never a bare
ValueError, KeyError or binascii.Error); a listing whose page token repeats stops instead of
following it forever; Azure's percent-encoded names are decoded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

import pytest

from storagekit.base import StorageDriver
from storagekit.drivers.google_storage import driver as gcs_driver
from storagekit.models import Container
from storagekit.types import MalformedResponseError
from tests.support.hostile_clouds import CLOUDS, RawServer, chunked, cloud_driver, response
from tests.support.replay import recorded

MiB = 1024 * 1024
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def s3_page(entries: str, token: str | None = None) -> bytes:
    more = f"<IsTruncated>true</IsTruncated><NextContinuationToken>{token}</NextContinuationToken>" if token else (
        "<IsTruncated>false</IsTruncated>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="{S3_NS}"><Name>box</Name>'
            f"<EncodingType>url</EncodingType>{more}{entries}</ListBucketResult>").encode()


def s3_entry(key: str, size: str = "1") -> str:
    return f"<Contents><Key>{key}</Key><Size>{size}</Size><ETag>&quot;e&quot;</ETag></Contents>"


def azure_page(entries: str, marker: str | None = None) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ContainerName="box"><Blobs>{entries}'
            f"</Blobs><NextMarker>{marker or ''}</NextMarker></EnumerationResults>").encode()


def azure_entry(name: str, size: str = "1") -> str:
    return f"<Blob><Name>{name}</Name><Properties><Content-Length>{size}</Content-Length></Properties></Blob>"


def gcs_page(items: list[dict[str, object]], token: str | None = None) -> bytes:
    return json.dumps({"items": items, **({"nextPageToken": token} if token else {})}).encode()


XML = {"Content-Type": "application/xml"}
JSON = {"Content-Type": "application/json"}
OBJECT_PAGES: dict[str, Callable[[str, str], bytes]] = {
    "s3": lambda size, token: s3_page(s3_entry("a", size), token),
    "azure_blobs": lambda size, token: azure_page(azure_entry("a", size), token),
    "google_storage": lambda size, token: gcs_page([{"name": "a", "size": size}], token),
}
CONTAINER_PAGES = {
    "s3": b"<ListAllMyBucketsResult><Buckets><Bucket><Name>bkt</Name></Bucket></Buckets>"
          b"<ContinuationToken>same</ContinuationToken></ListAllMyBucketsResult>",
    "azure_blobs": b"<EnumerationResults><Containers><Container><Name>box</Name><Properties /></Container>"
                   b"</Containers><NextMarker>same</NextMarker></EnumerationResults>",
    "google_storage": gcs_page([{"name": "bkt"}], "same"),
}


def answer(provider: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    return response(200, {**(JSON if provider == "google_storage" else XML), **(headers or {})}, body)


def box(driver: StorageDriver) -> Container:
    return Container("box", {}, driver)


# ------------------------------------------------------------------ page tokens


@pytest.mark.parametrize("provider", CLOUDS)
def test_an_object_listing_whose_token_repeats_stops(provider: str) -> None:
    with RawServer(answer(provider, OBJECT_PAGES[provider]("1", "same"))) as server:
        driver = cloud_driver(provider, server.url)
        seen = []
        with pytest.raises(MalformedResponseError, match="'same' a second time") as info:
            for obj in driver.iterate_container_objects(box(driver)):
                seen.append(obj.name)
    assert seen == ["a", "a"] and len(server.requests) == 2, "the first page, the token's page, then a stop"
    assert info.value.container_name == "box"


FAKE_TOKENS = {  # a token in a comment at the page's end, where the next page is guessed from without parsing
    "s3": s3_page(s3_entry("a")) + b"<!-- <NextContinuationToken>fake</NextContinuationToken> -->",
    "azure_blobs": azure_page(azure_entry("a")) + b"<!-- <NextMarker>fake</NextMarker> -->",
}


@pytest.mark.parametrize("provider", sorted(FAKE_TOKENS))
def test_a_page_fetched_on_a_wrong_guess_of_the_token_is_dropped(provider: str) -> None:
    other = OBJECT_PAGES[provider]("1", "")
    with RawServer(answer(provider, FAKE_TOKENS[provider]), answer(provider, other.replace(b">a<", b">b<"))) as server:
        driver = cloud_driver(provider, server.url)
        assert [obj.name for obj in driver.iterate_container_objects(box(driver))] == ["a"]
    assert len(server.requests) <= 2


@pytest.mark.parametrize("provider", CLOUDS)
def test_a_container_listing_whose_token_repeats_stops(provider: str) -> None:
    with RawServer(answer(provider, CONTAINER_PAGES[provider])) as server:
        driver = cloud_driver(provider, server.url)
        with pytest.raises(MalformedResponseError, match="second time"):
            list(driver.iterate_containers())
    assert len(server.requests) == 2


def test_a_token_cycle_of_two_pages_stops_too() -> None:
    pages = [answer("s3", s3_page(s3_entry("a"), "A")), answer("s3", s3_page(s3_entry("b"), "B"))]
    with RawServer(*pages, *pages) as server:
        driver = cloud_driver("s3", server.url)
        with pytest.raises(MalformedResponseError, match="'A' a second time"):
            list(driver.iterate_container_objects(box(driver)))
    assert len(server.requests) == 3


def test_a_delimiter_listing_whose_token_repeats_stops() -> None:
    page = s3_page(s3_entry("a") + "<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes>", "same")
    with RawServer(answer("s3", page)) as server:
        driver = cloud_driver("s3", server.url)
        with pytest.raises(MalformedResponseError, match="second time"):
            list(driver.iterate_container_entries(box(driver), delimiter="/"))


# ------------------------------------------------------------------ sizes and digests


@pytest.mark.parametrize("provider", CLOUDS)
@pytest.mark.parametrize("size", ["12abc", "-5", " 7", "1e3"])
def test_a_listed_size_that_is_not_a_byte_count(provider: str, size: str) -> None:
    with RawServer(answer(provider, OBJECT_PAGES[provider](size, ""))) as server:
        driver = cloud_driver(provider, server.url)
        with pytest.raises(MalformedResponseError, match="not a byte count") as info:
            list(driver.iterate_container_objects(box(driver)))
    assert repr(size) in str(info.value) and info.value.object_name == "a"


HEAD_HEADERS = {"ETag": '"0123456789abcdef0123456789abcdef"', "Last-Modified": "Sat, 21 Nov 2026 12:00:00 GMT"}


@pytest.mark.parametrize("provider", ["s3", "azure_blobs"])
@pytest.mark.parametrize("length", ["abc", "-5", "1.5", ""])
def test_a_head_whose_content_length_is_not_a_byte_count(provider: str, length: str) -> None:
    with RawServer(response(200, {**HEAD_HEADERS, "Content-Length": length})) as server:
        driver = cloud_driver(provider, server.url)
        with pytest.raises(MalformedResponseError, match="Content-Length") as info:
            driver.get_object("box", "a.txt")
    assert info.value.object_name == "a.txt"


def test_a_gcs_resource_whose_size_is_not_a_byte_count() -> None:
    with RawServer(answer("google_storage", json.dumps({"name": "a.txt", "size": "-5"}).encode())) as server:
        driver = cloud_driver("google_storage", server.url)
        with pytest.raises(MalformedResponseError, match="size '-5'"):
            driver.get_object("box", "a.txt")


@pytest.mark.parametrize(("provider", "headers", "named"), [
    ("s3", {"x-amz-checksum-crc32c": "!!not base64!!"}, "x-amz-checksum-crc32c"),
    ("s3", {"x-amz-checksum-crc32": "AAAAAAAA"}, "x-amz-checksum-crc32"),  # base64, but 6 bytes, not a CRC's 4
    ("azure_blobs", {"Content-MD5": "@@@"}, "Content-MD5"),
    ("azure_blobs", {"Content-MD5": "AAAA"}, "Content-MD5"),
])
def test_a_head_with_a_bad_base64_checksum_header(provider: str, headers: dict[str, str], named: str) -> None:
    with RawServer(response(200, {**HEAD_HEADERS, "Content-Length": "3", **headers})) as server:
        driver = cloud_driver(provider, server.url)
        with pytest.raises(MalformedResponseError, match=f"{named} .*base64"):
            driver.get_object("box", "a.txt")


@pytest.mark.parametrize("field", ["md5Hash", "crc32c"])
def test_a_gcs_resource_with_a_bad_base64_digest(field: str) -> None:
    body = json.dumps({"name": "a.txt", "size": "3", field: "not*base64"}).encode()
    with RawServer(answer("google_storage", body)) as server:
        driver = cloud_driver("google_storage", server.url)
        with pytest.raises(MalformedResponseError, match=f"{field} .*base64"):
            driver.get_object("box", "a.txt")


# ------------------------------------------------------------------ bodies that are not what was asked for

PORTAL = response(200, {"Content-Type": "text/html"}, b"<html><body>Sign in to the hotel Wi-Fi</body></html>")


@pytest.mark.parametrize("call", [
    lambda d: d.get_object("box", "a.txt"),
    lambda d: list(d.iterate_container_objects(box(d))),
    lambda d: list(d.iterate_containers()),
    lambda d: d.get_container("box"),
], ids=["head", "objects", "buckets", "bucket"])
def test_a_gcs_200_with_an_html_body_is_malformed(call: Callable[[StorageDriver], object]) -> None:
    with RawServer(PORTAL) as server:
        driver = cloud_driver("google_storage", server.url)
        with pytest.raises(MalformedResponseError, match=r"not JSON .*Sign in to the hotel"):
            call(driver)


@pytest.mark.parametrize("body", [b"[]", b'"text"', json.dumps({"items": {"name": "a"}}).encode(),
                                  json.dumps({"items": [{"size": "1"}]}).encode(),
                                  json.dumps({"items": [], "prefixes": [1]}).encode()])
def test_a_gcs_listing_of_the_wrong_shape_is_malformed(body: bytes) -> None:
    with RawServer(answer("google_storage", body)) as server:
        driver = cloud_driver("google_storage", server.url)
        with pytest.raises(MalformedResponseError):
            list(driver.iterate_container_entries(box(driver)))


def test_a_gcs_listing_page_that_says_it_is_over_the_cap_is_not_read() -> None:
    lying = response(200, {**JSON, "Content-Length": str(gcs_driver._PAGE_BYTES + 1)}, b"{}")
    with RawServer(lying) as server:
        driver = cloud_driver("google_storage", server.url)
        with pytest.raises(MalformedResponseError, match="at most 67108864"):
            list(driver.iterate_container_objects(box(driver)))


def test_a_chunked_gcs_listing_page_is_refused_once_it_passes_the_cap() -> None:
    def pieces() -> Iterator[bytes]:  # 80 MiB of JSON whitespace: valid, and no Content-Length to refuse early
        yield b'{"items": ['
        for _ in range(80):
            yield b" " * MiB
        yield b"]}"

    with RawServer(chunked(200, JSON, pieces)) as server:
        driver = cloud_driver("google_storage", server.url)
        with pytest.raises(MalformedResponseError, match="more than 67108864 bytes"):
            list(driver.iterate_container_objects(box(driver)))


# ------------------------------------------------------------------ XML that is not a listing


@pytest.mark.parametrize("provider", ["s3", "azure_blobs"])
@pytest.mark.parametrize("body", [b"<html><body>portal", b"not xml at all", b'<?xml version="1.0"?><a><b></a>'])
def test_a_listing_that_is_not_well_formed_xml(provider: str, body: bytes) -> None:
    with RawServer(answer(provider, body)) as server:
        driver = cloud_driver(provider, server.url)
        with pytest.raises(MalformedResponseError, match="malformed XML"):
            list(driver.iterate_container_objects(box(driver)))


def test_a_listing_cut_short_mid_document_is_malformed() -> None:
    page = s3_page(s3_entry("a") + s3_entry("b"))
    with RawServer(answer("s3", page[: len(page) // 2], {"Content-Length": str(len(page) // 2)})) as server:
        driver = cloud_driver("s3", server.url)
        with pytest.raises(MalformedResponseError, match="malformed XML"):
            list(driver.iterate_container_objects(box(driver)))


def test_entities_in_a_listing_are_never_expanded() -> None:
    page = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<ListBucketResult xmlns="' + S3_NS.encode() + b'"><IsTruncated>false</IsTruncated>'
            b"<Contents><Key>a&x;</Key><Size>1</Size></Contents></ListBucketResult>")
    with RawServer(answer("s3", page)) as server:
        driver = cloud_driver("s3", server.url)
        names = [obj.name for obj in driver.iterate_container_objects(box(driver))]
    assert names == ["a"] and "root:" not in names[0]


# ------------------------------------------------------------------ Azure's encoded names


def test_azure_encoded_names_are_percent_decoded() -> None:
    status, headers, body = recorded("azure_blobs", "list_blobs_encoded")
    with RawServer(response(status, headers, body)) as server:
        driver = cloud_driver("azure_blobs", server.url)
        entries = [(type(e).__name__, e.name) for e in driver.iterate_container_entries(box(driver), delimiter="/")]
        objects = {obj.name: obj.size for obj in driver.iterate_container_objects(box(driver))}
    assert entries == [("Prefix", "dir\uffff/"), ("Object", "odd\uffffname 100%.txt"), ("Object", "plain.txt"),
                       ("Object", "z%41.txt")]
    assert objects == {"plain.txt": 3, "odd\uffffname 100%.txt": 5, "z%41.txt": 1}


def test_an_azure_encoded_name_that_is_not_utf8_is_malformed() -> None:
    page = azure_page('<Blob><Name Encoded="true">bad%FF%FE</Name><Properties /></Blob>')
    with RawServer(answer("azure_blobs", page)) as server:
        driver = cloud_driver("azure_blobs", server.url)
        with pytest.raises(MalformedResponseError, match="not percent-encoded UTF-8"):
            list(driver.iterate_container_objects(box(driver)))


# ------------------------------------------------------------------ a slow reader of a listing


@pytest.mark.parametrize("provider", ["s3", "azure_blobs"])
def test_a_listing_page_is_read_off_the_connection_before_the_first_entry_is_handed_out(provider: str) -> None:
    """A caller that takes its time over each entry never keeps the service's connection waiting:
    the page (32 MiB here, more than any socket buffers) is spooled, then parsed from the copy."""
    sent_all = threading.Event()
    entry = s3_entry if provider == "s3" else azure_entry
    head, tail = (s3_page if provider == "s3" else azure_page)("|").split(b"|")
    one = entry("k" * 1000).encode()

    def pieces() -> Iterator[bytes]:
        yield head
        for _ in range(32):
            yield one * (MiB // len(one))
        yield tail
        sent_all.set()

    with RawServer(chunked(200, XML, pieces)) as server:
        driver = cloud_driver(provider, server.url)
        objects = driver.iterate_container_objects(box(driver))
        assert next(objects).name == "k" * 1000
        assert sent_all.wait(30), "the server is still waiting for the client to read the page"
        assert sum(1 for _ in objects) == 32 * (MiB // len(one)) - 1
