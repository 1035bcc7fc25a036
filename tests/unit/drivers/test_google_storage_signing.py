"""GCS V4 signed URLs: Google's published vectors, a signature the public key verifies, refusals."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import google.auth.credentials
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from google.oauth2 import service_account

from storagekit.drivers.google_storage._signing import presign
from storagekit.models import Container
from storagekit.types import InvalidCredsError, InvalidOptionError, NotSupportedError
from tests.support.google_storage import load_fixture, make_service_account_info, replayed_driver

VECTORS = load_fixture("v4_signatures.json")


@pytest.fixture(scope="module")
def signer_info() -> dict[str, Any]:
    return make_service_account_info(VECTORS["signer_email"])


@pytest.fixture(scope="module")
def signer(signer_info: dict[str, Any]) -> service_account.Credentials:
    return service_account.Credentials.from_service_account_info(signer_info)


def _verify(signer_info: dict[str, Any], signature_hex: str, string_to_sign: str) -> None:
    """Raises InvalidSignature unless the throw-away key's public half verifies the signature."""
    key = serialization.load_pem_private_key(signer_info["private_key"].encode(), password=None)
    key.public_key().verify(  # type: ignore[union-attr, call-arg]
        bytes.fromhex(signature_hex), string_to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["description"])
def test_published_v4_vectors(vector: dict[str, Any], signer: service_account.Credentials,
                              signer_info: dict[str, Any]) -> None:
    now = datetime.datetime.fromisoformat(vector["timestamp"].replace("Z", "+00:00"))
    signed = presign(signer, VECTORS["endpoint"], vector["bucket"], vector["object"], vector["method"],
                     vector["expiration"], now=now)
    assert signed.canonical_request == vector["expectedCanonicalRequest"]
    assert signed.string_to_sign == vector["expectedStringToSign"]
    url, _, signature = signed.url.partition("&X-Goog-Signature=")
    assert url == vector["expectedUrlWithoutSignature"]
    assert len(signature) == 512  # 2048-bit RSA, hex
    _verify(signer_info, signature, signed.string_to_sign)


def test_signature_covers_the_method(signer: service_account.Credentials, signer_info: dict[str, Any]) -> None:
    signed = presign(signer, "https://storage.googleapis.com", "b", "o", "GET", 60)
    signature = signed.url.rpartition("=")[2]
    _verify(signer_info, signature, signed.string_to_sign)
    other = presign(signer, "https://storage.googleapis.com", "b", "o", "PUT", 60)
    with pytest.raises(InvalidSignature):
        _verify(signer_info, signature, other.string_to_sign)


def test_driver_signs_get_and_put_for_its_endpoint(signer_info: dict[str, Any]) -> None:
    driver, _ = replayed_driver([], credentials=signer_info)
    container = Container("bkt", {}, driver)
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    for method in ("GET", "PUT"):
        url = driver.get_object_url(container, expires_in=900, method=method, object_name="a dir/ü.txt")
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc, parts.path) == ("http", "gcs.test", "/bkt/a%20dir/%C3%BC.txt")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["X-Goog-Expires"] == "900" and query["X-Goog-SignedHeaders"] == "host"
        assert query["X-Goog-Credential"].startswith(f"{signer_info['client_email']}/{before:%Y%m%d}/auto/storage/")
        when = datetime.datetime.strptime(query["X-Goog-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        assert abs((when - before).total_seconds()) < 60
    assert driver.get_object_cdn_url(driver._object(container, {"name": "x", "size": "1"})).startswith("http://gcs.test/bkt/x?")


def test_credentials_that_cannot_sign() -> None:
    driver, _ = replayed_driver([])
    with pytest.raises(NotSupportedError, match="anonymous access cannot sign"):
        driver.get_object_url(Container("bkt", {}, driver), object_name="x")

    class TokenOnly(google.auth.credentials.Credentials):
        def refresh(self, request: Any) -> None:
            self.token = "t"

    with pytest.raises(NotSupportedError, match="TokenOnly cannot sign URLs"):
        presign(TokenOnly(), "https://storage.googleapis.com", "b", "o", "GET", 60)


def test_signer_failure_and_expiry_limit(signer: service_account.Credentials) -> None:
    class Broken(service_account.Credentials):
        def sign_bytes(self, message: bytes) -> bytes:
            raise RuntimeError("the HSM is down")

    broken = Broken.from_service_account_info(make_service_account_info())
    with pytest.raises(InvalidCredsError, match="could not sign the URL with Broken"):
        presign(broken, "https://storage.googleapis.com", "b", "o", "GET", 60)
    with pytest.raises(InvalidOptionError, match="604800"):
        presign(signer, "https://storage.googleapis.com", "b", "o", "GET", 604801)
