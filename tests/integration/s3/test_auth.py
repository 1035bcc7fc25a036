"""SigV4 against a server that enforces it: bad credentials, presigned URLs fetched with plain requests."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests

from storagekit.drivers.s3 import S3StorageDriver, _auth
from storagekit.models import Container
from storagekit.types import InvalidCredsError
from tests.support.s3 import SeaweedFS


def test_wrong_secret_is_invalid_creds(seaweedfs: SeaweedFS, bucket: Container) -> None:
    driver = seaweedfs.driver(secret="not-the-secret")
    with pytest.raises(InvalidCredsError) as info:
        driver.get_container(bucket.name)
    assert info.value.http_status == 403
    with pytest.raises(InvalidCredsError) as info:
        driver.list_container_objects(driver._as_container(bucket.name))
    assert info.value.code == "SignatureDoesNotMatch" and info.value.request_id
    assert "not-the-secret" not in str(info.value)


def test_unknown_key_is_invalid_creds(seaweedfs: SeaweedFS) -> None:
    with pytest.raises(InvalidCredsError) as info:
        seaweedfs.driver(key="AKIDUNKNOWN").list_containers()
    assert info.value.code == "InvalidAccessKeyId"


def test_presigned_get_and_put(s3_driver: S3StorageDriver, bucket: Container) -> None:
    obj = s3_driver.upload_object_via_stream([b"shared via url"], bucket, "dir/shared file+1.txt")
    response = requests.get(s3_driver.get_object_url(obj, expires_in=60), timeout=10)
    assert (response.status_code, response.content) == (200, b"shared via url")
    assert requests.get(obj.get_cdn_url(), timeout=10).content == b"shared via url"
    put_url = s3_driver.get_object_url(bucket, method="PUT", object_name="uploaded by url.bin")
    assert requests.put(put_url, data=b"from a browser", timeout=10).status_code == 200
    assert b"".join(s3_driver.get_object(bucket.name, "uploaded by url.bin").as_stream()) == b"from a browser"


def test_expired_presigned_url_is_refused(s3_driver: S3StorageDriver, bucket: Container,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    obj = s3_driver.upload_object_via_stream([b"secret"], bucket, "old.txt")
    two_hours_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
    monkeypatch.setattr(_auth, "utcnow", lambda: two_hours_ago)
    url = s3_driver.get_object_url(obj, expires_in=60)
    monkeypatch.undo()
    response = requests.get(url, timeout=10)
    assert response.status_code == 403 and b"secret" not in response.content
    assert requests.get(s3_driver.get_object_url(obj, expires_in=60), timeout=10).status_code == 200


@pytest.mark.parametrize("tamper", ["signature", "key", "expiry", "method"])
def test_tampered_presigned_url_is_refused(s3_driver: S3StorageDriver, bucket: Container, tamper: str) -> None:
    obj = s3_driver.upload_object_via_stream([b"private"], bucket, "private.txt")
    s3_driver.upload_object_via_stream([b"other"], bucket, "other.txt")
    url = s3_driver.get_object_url(obj, expires_in=60)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    path = parts.path
    method = "GET"
    if tamper == "signature":
        signature = query["X-Amz-Signature"]
        query["X-Amz-Signature"] = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    elif tamper == "key":
        path = path.replace("private.txt", "other.txt")
    elif tamper == "expiry":
        query["X-Amz-Expires"] = "604800"
    else:
        method = "PUT"
    response = requests.request(method, urlunsplit(parts._replace(path=path, query=urlencode(query))), timeout=10,
                                data=b"overwritten" if method == "PUT" else None)
    assert response.status_code == 403
    assert b"".join(s3_driver.get_object(bucket.name, "private.txt").as_stream()) == b"private"
