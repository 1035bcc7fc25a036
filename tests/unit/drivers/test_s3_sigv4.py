"""The S3 SigV4 header signer, against AWS's published examples and S3's canonicalisation rules.

The four vectors come from the Amazon S3 API reference, "Signature Calculations for the
Authorization Header: Transferring Payload in a Single Chunk (AWS Signature Version 4)":
each published example gives the headers it signs, the SHA-256 of its canonical request
(the last line of its StringToSign) and the resulting signature. The page's credentials
are the documentation's example key pair (its secret has a ``/``, not a ``+``).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import pytest

from storagekit.drivers.s3 import _auth
from storagekit.drivers.s3._auth import (
    EMPTY_SHA256,
    SigV4Auth,
    authorization,
    canonical_query,
    canonical_request,
    header_auth,
)
from storagekit.drivers.s3._credentials import Credentials

KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CREDENTIALS = Credentials(KEY, SECRET)
STAMP = "20130524T000000Z"
WHEN = datetime.datetime(2013, 5, 24, tzinfo=datetime.timezone.utc)
HOST = "examplebucket.s3.amazonaws.com"
SCOPE = f"{KEY}/20130524/us-east-1/s3/aws4_request"
PUT_BODY = b"Welcome to Amazon S3."
PUT_SHA256 = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"


@dataclass(frozen=True)
class Vector:
    """One published example: what is signed and what AWS says comes out."""

    name: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    signed_headers: str
    payload_hash: str
    canonical_sha256: str
    signature: str

    @property
    def url(self) -> str:
        return f"https://{HOST}{self.path}" + (f"?{self.query}" if self.query else "")


VECTORS = [
    Vector(
        "GET Object", "GET", "/test.txt", "",
        {"Host": HOST, "Range": "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": STAMP},
        "host;range;x-amz-content-sha256;x-amz-date",
        EMPTY_SHA256,
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    ),
    Vector(
        "PUT Object", "PUT", "/test%24file.text", "",
        {"Host": HOST, "Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-date": STAMP,
         "x-amz-storage-class": "REDUCED_REDUNDANCY", "x-amz-content-sha256": PUT_SHA256},
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        PUT_SHA256,
        "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
    ),
    Vector(
        "GET Bucket Lifecycle", "GET", "/", "lifecycle",
        {"Host": HOST, "x-amz-date": STAMP, "x-amz-content-sha256": EMPTY_SHA256},
        "host;x-amz-content-sha256;x-amz-date",
        EMPTY_SHA256,
        "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
    ),
    Vector(
        "GET Bucket (List Objects)", "GET", "/", "max-keys=2&prefix=J",
        {"Host": HOST, "x-amz-date": STAMP, "x-amz-content-sha256": EMPTY_SHA256},
        "host;x-amz-content-sha256;x-amz-date",
        EMPTY_SHA256,
        "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    ),
]
BY_NAME = {vector.name: vector for vector in VECTORS}


class Headers(MutableMapping[str, str]):
    """A minimal case-insensitive header mapping (the signer must not need requests')."""

    def __init__(self, items: dict[str, str] | None = None) -> None:
        self._store: dict[str, tuple[str, str]] = {}
        self.update(items or {})

    def __getitem__(self, name: str) -> str:
        return self._store[name.lower()][1]

    def __setitem__(self, name: str, value: str) -> None:
        self._store[name.lower()] = (name, value)

    def __delitem__(self, name: str) -> None:
        del self._store[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)


def _requests_headers(items: dict[str, str]) -> MutableMapping[str, str]:
    from requests.structures import CaseInsensitiveDict  # requests is installed with google-auth

    return CaseInsensitiveDict(items)


@dataclass
class Request:
    """The duck-typed request the signer works on."""

    method: str
    url: str
    headers: MutableMapping[str, str]
    body: Any = None


@pytest.fixture(params=[Headers, _requests_headers], ids=["mapping", "requests"])
def make_request(request: pytest.FixtureRequest) -> Callable[..., Request]:
    """Build a request with either header mapping (the signer has a fast path for requests')."""
    mapping = request.param

    def make(method: str, url: str, headers: dict[str, str] | None = None, body: Any = None) -> Request:
        return Request(method, url, mapping(dict(headers or {})), body)

    return make


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The signing clock at the examples' time."""
    monkeypatch.setattr(_auth, "utcnow", lambda: WHEN)


def _published_header(signed_headers: str, signature: str) -> str:
    return f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders={signed_headers}, Signature={signature}"


def _signed_headers(request: Request) -> list[str]:
    return request.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")


def _sign(make_request: Callable[..., Request], method: str, url: str, headers: dict[str, str] | None = None,
          body: Any = None, credentials: Credentials = CREDENTIALS, region: str = "us-east-1") -> Request:
    request = make_request(method, url, headers, body)
    assert header_auth(credentials, region)(request) is request
    return request


# ---------------------------------------------------------------------- the published examples


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_canonical_request_hashes_as_published(vector: Vector) -> None:
    """The canonical request of each example hashes to the value in its StringToSign."""
    canonical, _ = canonical_request(vector.method, vector.path, vector.query, vector.headers, vector.payload_hash)
    assert hashlib.sha256(canonical.encode()).hexdigest() == vector.canonical_sha256


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_authorization_matches_published_signature(vector: Vector) -> None:
    """The pure signer reproduces each example's signature and signed-header list."""
    header = authorization(vector.method, vector.path, vector.query, vector.headers, vector.payload_hash, STAMP,
                           CREDENTIALS, "us-east-1")
    assert header == _published_header(vector.signed_headers, vector.signature)


def test_put_example_canonical_request_text() -> None:
    """The PUT example's canonical request, line for line as published (its body hash included)."""
    vector = BY_NAME["PUT Object"]
    assert hashlib.sha256(PUT_BODY).hexdigest() == PUT_SHA256
    canonical, signed = canonical_request(vector.method, vector.path, vector.query, vector.headers, PUT_SHA256)
    assert signed == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class"
    assert canonical == (
        "PUT\n/test%24file.text\n\n"
        "date:Fri, 24 May 2013 00:00:00 GMT\n"
        f"host:{HOST}\n"
        f"x-amz-content-sha256:{PUT_SHA256}\n"
        f"x-amz-date:{STAMP}\n"
        "x-amz-storage-class:REDUCED_REDUNDANCY\n"
        "\n"
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
        f"{PUT_SHA256}"
    )


@pytest.mark.parametrize("name", ["GET Object", "GET Bucket Lifecycle", "GET Bucket (List Objects)"])
def test_signing_a_request_reproduces_published_example(
    frozen_clock: None, make_request: Callable[..., Request], name: str
) -> None:
    """The examples that sign only what the signer picks by itself come out of ``__call__`` unchanged."""
    vector = BY_NAME[name]
    extra = {"Range": vector.headers["Range"]} if "Range" in vector.headers else {}
    request = _sign(make_request, vector.method, vector.url, {"User-Agent": "storagekit", **extra})
    assert request.headers["x-amz-date"] == STAMP
    assert request.headers["x-amz-content-sha256"] == EMPTY_SHA256
    assert request.headers["Authorization"] == _published_header(vector.signed_headers, vector.signature)


# ---------------------------------------------------------------------- what __call__ adds and signs


def test_call_adds_and_signs_the_expected_headers(frozen_clock: None, make_request: Callable[..., Request]) -> None:
    """Body hashed; content-*, range, conditionals and x-amz-* signed; transport headers not."""
    to_sign = {
        "Content-Type": "text/plain", "Content-MD5": "XUFAKrxLKna5cZ2REBfFkg==", "If-None-Match": "*",
        "X-Amz-Meta-Colour": "  dark   blue ",
    }
    unsigned = {"Content-Length": "5", "User-Agent": "storagekit", "Accept-Encoding": "identity"}
    request = _sign(make_request, "PUT", "https://examplebucket.s3.amazonaws.com/dir/key", to_sign | unsigned, b"hello")
    digest = hashlib.sha256(b"hello").hexdigest()
    assert request.headers["x-amz-date"] == STAMP
    assert request.headers["x-amz-content-sha256"] == digest
    assert "x-amz-security-token" not in request.headers
    assert _signed_headers(request) == [
        "content-md5", "content-type", "host", "if-none-match", "x-amz-content-sha256", "x-amz-date",
        "x-amz-meta-colour",
    ]
    expected = authorization("PUT", "/dir/key", "", to_sign | {
        "host": HOST, "x-amz-date": STAMP, "x-amz-content-sha256": digest,
    }, digest, STAMP, CREDENTIALS, "us-east-1")
    assert request.headers["Authorization"] == expected


def test_header_values_are_trimmed_and_whitespace_collapsed() -> None:
    """SigV4 trims values and folds inner runs of spaces and tabs to one space; names are lowercased."""
    canonical, signed = canonical_request("GET", "/k", "", {"X-Amz-Meta-A": "  dark \t  blue ", "Host": HOST}, "h")
    assert canonical.splitlines()[3:5] == [f"host:{HOST}", "x-amz-meta-a:dark blue"]
    assert signed == "host;x-amz-meta-a"


@pytest.mark.parametrize("preset", ["UNSIGNED-PAYLOAD", hashlib.sha256(b"streamed file").hexdigest()])
def test_preset_payload_hash_is_kept_signed_and_nothing_is_hashed(
    frozen_clock: None, make_request: Callable[..., Request], preset: str
) -> None:
    """A caller's x-amz-content-sha256 is the payload hash: a streamed body is not read."""
    body = iter([b"streamed ", b"file"])
    request = _sign(make_request, "PUT", "https://examplebucket.s3.amazonaws.com/big", {"X-Amz-Content-SHA256": preset},
                    body)
    assert request.headers["x-amz-content-sha256"] == preset
    assert next(body) == b"streamed "
    assert "x-amz-content-sha256" in _signed_headers(request)
    expected = authorization("PUT", "/big", "", {"host": HOST, "x-amz-content-sha256": preset, "x-amz-date": STAMP},
                             preset, STAMP, CREDENTIALS, "us-east-1")
    assert request.headers["Authorization"] == expected


def test_streamed_body_without_a_payload_hash_is_refused(make_request: Callable[..., Request]) -> None:
    """A body that cannot be hashed in memory needs the caller to say what to sign."""
    with pytest.raises(TypeError, match="x-amz-content-sha256"):
        _sign(make_request, "PUT", "https://examplebucket.s3.amazonaws.com/big", body=iter([b"data"]))


@pytest.mark.parametrize("body", [b"payload", bytearray(b"payload"), memoryview(b"payload"), "payload"])
def test_in_memory_bodies_are_hashed_alike(make_request: Callable[..., Request], body: Any) -> None:
    """bytes, bytearray, memoryview and str bodies hash to the same x-amz-content-sha256."""
    request = _sign(make_request, "PUT", "https://examplebucket.s3.amazonaws.com/k", body=body)
    assert request.headers["x-amz-content-sha256"] == hashlib.sha256(b"payload").hexdigest()


def test_session_token_is_sent_and_signed(frozen_clock: None, make_request: Callable[..., Request]) -> None:
    """Temporary credentials add x-amz-security-token, which is signed like every x-amz-* header."""
    token = "FQoGZXIvYXdzEBYaD+session/token=="
    url = "https://examplebucket.s3.amazonaws.com/test.txt"
    request = _sign(make_request, "GET", url, credentials=Credentials(KEY, SECRET, token))
    assert request.headers["x-amz-security-token"] == token
    assert _signed_headers(request) == ["host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"]
    without = _sign(make_request, "GET", url)
    assert request.headers["Authorization"] != without.headers["Authorization"]
    expected = authorization("GET", "/test.txt", "", {
        "host": HOST, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": STAMP, "x-amz-security-token": token,
    }, EMPTY_SHA256, STAMP, CREDENTIALS, "us-east-1")
    assert request.headers["Authorization"] == expected


# ---------------------------------------------------------------------- canonical query and path


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("", ""),
        ("lifecycle", "lifecycle="),
        ("uploads&prefix=a", "prefix=a&uploads="),
        ("uploadId=abc&partNumber=10", "partNumber=10&uploadId=abc"),
        ("prefix=dir%2fa%20b&delimiter=/", "delimiter=%2F&prefix=dir%2Fa%20b"),
        ("prefix=a+b&marker=%7Ex%2D_.", "marker=~x-_.&prefix=a%2Bb"),
        ("k=b&k=a&K=c", "K=c&k=a&k=b"),
        ("versionId=&x=1=2", "versionId=&x=1%3D2"),
        ("prefix=%E6%96%87&start-after=%C3%A9", "prefix=%E6%96%87&start-after=%C3%A9"),
    ],
)
def test_canonical_query(query: str, canonical: str) -> None:
    """Items split at the first '=', decoded and encoded again (only -_.~ kept), sorted by name then value."""
    assert canonical_query(query) == canonical


def test_query_is_signed_in_canonical_order(frozen_clock: None, make_request: Callable[..., Request]) -> None:
    """The order and escaping the query is sent with do not change what is signed."""
    sent = "https://examplebucket.s3.amazonaws.com/?prefix=dir%2f&list-type=2&delimiter=%2F&max-keys=1000"
    sorted_url = "https://examplebucket.s3.amazonaws.com/?delimiter=%2F&list-type=2&max-keys=1000&prefix=dir%2F"
    request = _sign(make_request, "GET", sent)
    assert request.headers["Authorization"] == _sign(make_request, "GET", sorted_url).headers["Authorization"]
    canonical, _ = canonical_request("GET", "/", sent.split("?")[1], {"host": HOST}, EMPTY_SHA256)
    assert canonical.splitlines()[2] == "delimiter=%2F&list-type=2&max-keys=1000&prefix=dir%2F"


def test_list_example_query_order_does_not_matter(frozen_clock: None, make_request: Callable[..., Request]) -> None:
    """The published List Objects example, with its parameters sent the other way round."""
    request = _sign(make_request, "GET", "https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2")
    assert request.headers["Authorization"].endswith(f"Signature={BY_NAME['GET Bucket (List Objects)'].signature}")


@pytest.mark.parametrize(
    "path", ["/dir%2Fsub/a%20b.txt", "/a//b", "/a/./b/../c", "/examplebucket/%E6%96%87%20x+y", "/a%2b%2B"]
)
def test_path_is_signed_exactly_as_sent(
    frozen_clock: None, make_request: Callable[..., Request], path: str
) -> None:
    """S3 neither normalises nor re-encodes the path: '%2F', '%20', '//', '.' and '..' stay as they are."""
    request = _sign(make_request, "GET", f"https://{HOST}{path}")
    headers = {"host": HOST, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": STAMP}
    canonical, _ = canonical_request("GET", path, "", headers, EMPTY_SHA256)
    assert canonical.splitlines()[1] == path
    assert request.headers["Authorization"] == authorization(
        "GET", path, "", headers, EMPTY_SHA256, STAMP, CREDENTIALS, "us-east-1"
    )


def test_empty_path_is_signed_as_slash(frozen_clock: None, make_request: Callable[..., Request]) -> None:
    """A URL without a path signs '/', like the lifecycle example."""
    request = _sign(make_request, "GET", f"https://{HOST}?lifecycle")
    assert request.headers["Authorization"].endswith(f"Signature={BY_NAME['GET Bucket Lifecycle'].signature}")


def test_host_keeps_a_non_default_port(frozen_clock: None, make_request: Callable[..., Request]) -> None:
    """The host header signed is the URL's netloc, port included (MinIO, localstack)."""
    request = _sign(make_request, "HEAD", "http://localhost:9000/bucket/key", region="eu-west-1")
    headers = {"host": "localhost:9000", "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": STAMP}
    assert request.headers["Authorization"] == authorization(
        "HEAD", "/bucket/key", "", headers, EMPTY_SHA256, STAMP, CREDENTIALS, "eu-west-1"
    )
    assert "/20130524/eu-west-1/s3/aws4_request" in request.headers["Authorization"]


# ---------------------------------------------------------------------- clock, secrecy, key cache


def test_request_time_is_written_in_utc(monkeypatch: pytest.MonkeyPatch, make_request: Callable[..., Request]) -> None:
    """A clock in another zone still gives x-amz-date in UTC."""
    monkeypatch.setattr(_auth, "utcnow", lambda: datetime.datetime(
        2013, 5, 24, 2, 0, 0, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=2))))
    request = _sign(make_request, "GET", f"https://{HOST}/test.txt", {"Range": "bytes=0-9"})
    assert request.headers["x-amz-date"] == STAMP
    assert request.headers["Authorization"].endswith(f"Signature={BY_NAME['GET Object'].signature}")


def test_secret_never_appears_in_headers(make_request: Callable[..., Request]) -> None:
    """Neither the secret key nor its URL-encoded form is sent; the signer's repr hides it too."""
    credentials = Credentials(KEY, SECRET, "session-token")
    request = _sign(make_request, "PUT", f"https://{HOST}/k?uploads", {"Content-Type": "text/plain"}, b"x",
                    credentials=credentials)
    sent = "\n".join(f"{name}: {value}" for name, value in request.headers.items())
    for secret in (SECRET, SECRET.replace("/", "%2F"), f"AWS4{SECRET}"):
        assert secret not in sent
    assert SECRET not in repr(header_auth(credentials, "us-east-1"))
    assert isinstance(header_auth(credentials, "us-east-1"), SigV4Auth)


def test_signing_key_is_derived_once_per_day_and_region(
    frozen_clock: None, make_request: Callable[..., Request]
) -> None:
    """Signing many requests derives the signing key once."""
    _auth._signing_key.cache_clear()
    for _ in range(3):
        _sign(make_request, "GET", f"https://{HOST}/k")
    info = _auth._signing_key.cache_info()
    assert (info.misses, info.hits) == (1, 2)
