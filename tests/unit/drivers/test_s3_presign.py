"""Presigned URLs: the driver's SigV4 query signing against AWS's published example.

The reference below is written from the AWS documentation ("Authenticating Requests:
Using Query Parameters", the GET /test.txt example), independently of the driver, and
must reproduce the documented signature before it is used to check the driver.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from storagekit.drivers.s3 import _auth
from storagekit.models import Object
from storagekit.providers import get_driver
from storagekit.types import InvalidCredsError, InvalidOptionError, Provider

KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
WHEN = datetime.datetime(2013, 5, 24, tzinfo=datetime.timezone.utc)
DOCUMENTED_SIGNATURE = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"


def reference_presign(method: str, host: str, path: str, region: str, stamp: str, expires: int) -> str:
    """SigV4 query signing in a few lines, straight from the AWS documentation."""
    date = stamp[:8]
    scope = f"{date}/{region}/s3/aws4_request"
    query = (f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={quote(f'{KEY}/{scope}', safe='')}"
             f"&X-Amz-Date={stamp}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host")
    canonical = "\n".join([method, path, query, f"host:{host}", "", "host", "UNSIGNED-PAYLOAD"])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + SECRET).encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"https://{host}{path}?{query}&X-Amz-Signature={signature}"


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_auth, "utcnow", lambda: WHEN)


def test_the_reference_reproduces_the_documented_signature() -> None:
    url = reference_presign("GET", "examplebucket.s3.amazonaws.com", "/test.txt", "us-east-1",
                            "20130524T000000Z", 86400)
    assert url.endswith(f"X-Amz-Signature={DOCUMENTED_SIGNATURE}")


def test_driver_presigned_get_matches_aws_example(frozen_clock: None) -> None:
    driver = get_driver(Provider.S3)(KEY, SECRET, region="us-east-1")
    url = driver.get_object_url(driver._as_container("examplebucket"), expires_in=86400, object_name="test.txt")
    assert url == reference_presign("GET", "examplebucket.s3.amazonaws.com", "/test.txt", "us-east-1",
                                    "20130524T000000Z", 86400)
    assert parse_qs(urlsplit(url).query)["X-Amz-Signature"] == [DOCUMENTED_SIGNATURE]


@pytest.mark.parametrize(
    ("provider", "options", "host", "path", "region"),
    [
        (Provider.S3_EU_WEST, {}, "examplebucket.s3.eu-west-1.amazonaws.com", "/dir/a%20b%2Bc.txt", "eu-west-1"),
        (Provider.MINIO, {"endpoint_url": "https://minio.example.com:9000"}, "minio.example.com:9000",
         "/examplebucket/dir/a%20b%2Bc.txt", "us-east-1"),
    ],
)
def test_presigned_put_and_path_style_match_the_reference(
    frozen_clock: None, provider: Provider, options: dict[str, str], host: str, path: str, region: str
) -> None:
    driver = get_driver(provider)(KEY, SECRET, **options)
    url = driver.get_object_url(driver._as_container("examplebucket"), expires_in=600, method="put",
                                object_name="dir/a b+c.txt")
    assert url == reference_presign("PUT", host, path, region, "20130524T000000Z", 600)


def test_expiry_beyond_seven_days_is_refused_not_capped(frozen_clock: None) -> None:
    driver = get_driver(Provider.S3)(KEY, SECRET)
    with pytest.raises(InvalidOptionError, match="604800"):
        driver.get_object_url(driver._as_container("examplebucket"), expires_in=7 * 86400 + 1, object_name="t")
    url = driver.get_object_url(driver._as_container("examplebucket"), expires_in=7 * 86400, object_name="t")
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["604800"]


def test_session_token_is_signed_into_the_url(frozen_clock: None) -> None:
    driver = get_driver(Provider.S3)(KEY, SECRET, token="session/token+value")
    query = parse_qs(urlsplit(driver.get_object_url(driver._as_container("examplebucket"),
                                                    object_name="t")).query)
    assert query["X-Amz-Security-Token"] == ["session/token+value"]
    assert query["X-Amz-Signature"] != [DOCUMENTED_SIGNATURE]


def test_cdn_url_is_a_presigned_get(frozen_clock: None) -> None:
    """libcloud's default: valid for 24 hours."""
    driver = get_driver(Provider.S3)(KEY, SECRET)
    obj = driver._as_container("examplebucket")
    expected = driver.get_object_url(obj, object_name="test.txt", expires_in=24 * 3600)
    assert driver.get_object_cdn_url(Object("test.txt", 1, None, {}, {}, obj, driver)) == expected


def test_anonymous_driver_cannot_presign(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/none")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", f"{tmp_path}/none")
    driver = get_driver(Provider.S3)(anonymous=True)
    with pytest.raises(InvalidCredsError, match="anonymous"):
        driver.get_object_url(driver._as_container("examplebucket"), object_name="t")
