"""Seed 002 (CloudBridge's object storage): every example, only imports and placeholders changed.

Each runs against SeaweedFS (``ProviderList.AWS``), Azurite (``AZURE``), fake-gcs-server
(``GCP``) and the local driver (a storagekit URL), and what it writes is read back byte-identical.
The session-token example runs against moto, which checks the token.
"""

from __future__ import annotations

import datetime
import io
import os
from pathlib import Path

import pytest
import requests

from storagekit.compat.cloudbridge import (
    CloudProvider,
    CloudProviderFactory,
    ProviderConnectionException,
    ProviderList,
)
from storagekit.types import NotSupportedError, Provider
from tests.support.google_storage import with_minted_token
from tests.support.moto_server import MotoAws
from tests.support.servers import GCS_PROJECT
from tests.support.swift import SwiftServer

from .conftest import unique


def cloudbridge_provider(store: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                         tmp_path: Path) -> CloudProvider:
    """The provider a CloudBridge user makes, in CloudBridge's configuration names, for a test store."""
    if store == "aws":
        seaweedfs = request.getfixturevalue("seaweedfs")
        return CloudProviderFactory().create_provider(ProviderList.AWS, {
            'aws_access_key': seaweedfs.access_key, 'aws_secret_key': seaweedfs.secret_key,
            'aws_region_name': seaweedfs.region, 's3_endpoint_url': seaweedfs.endpoint_url})
    if store == "azure":
        azurite = request.getfixturevalue("azurite")
        return CloudProviderFactory().create_provider(ProviderList.AZURE, {
            'azure_storage_account': azurite.account, 'azure_storage_key': azurite.key,
            'azure_storage_endpoint': azurite.endpoint})
    if store == "gcp":
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", request.getfixturevalue("fake_gcs_server"))
        credentials = with_minted_token(request.getfixturevalue("google_service_account_info"))
        return CloudProviderFactory().create_provider(ProviderList.GCP, {
            'gcp_credentials_obj': credentials, 'gcp_project_name': GCS_PROJECT})
    return CloudProviderFactory().create_provider("local://", {"local_root": str(tmp_path / "store")})


@pytest.fixture
def provider(store: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
             tmp_path: Path) -> CloudProvider:
    return cloudbridge_provider(store, request, monkeypatch, tmp_path)


def test_storing_objects_in_a_bucket(provider: CloudProvider, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """"Storing objects in a bucket", its three blocks in order."""
    my_bucket = unique("my-bucket")
    myfile = tmp_path / "myfile.txt"
    content = os.urandom(300_000)
    myfile.write_bytes(content)
    downloaded = tmp_path / "downloaded.txt"

    bucket = provider.storage.buckets.create(my_bucket)
    bucket.objects.list()

    obj = bucket.objects.create('my-data.txt')
    obj.upload_from_file(str(myfile))

    bucket = provider.storage.buckets.find(name=my_bucket)[0]
    obj = bucket.objects.find(name='my-data.txt')[0]
    print("Size: {0}, Modified: {1}".format(obj.size, obj.last_modified))  # noqa: UP030, UP032 - the seed, verbatim
    with open(downloaded, 'wb') as f:
        obj.save_content(f)

    assert downloaded.read_bytes() == content
    printed = capsys.readouterr().out
    assert printed.startswith(f"Size: {len(content)}, Modified: ")
    datetime.datetime.strptime(printed.split("Modified: ")[1].strip(), "%Y-%m-%dT%H:%M:%S.%f")  # ISO 8601, UTC
    assert [o.name for o in bucket.objects.list()] == ['my-data.txt']
    bucket.delete(delete_contents=True)
    assert provider.storage.buckets.get(my_bucket) is None


def test_an_object_is_stored_only_once_content_is_uploaded(provider: CloudProvider) -> None:
    """"Note that, an object you create with objects.create() doesn't actually get persisted until
    you upload some content", and upload() takes an in-memory stream."""
    bucket = provider.storage.buckets.create(unique("my-bucket"))
    obj = bucket.objects.create('my-data.txt')
    assert bucket.objects.get('my-data.txt') is None and bucket.objects.list() == []
    obj.upload(io.BytesIO(b"from a stream"))
    again = bucket.objects.get('my-data.txt')
    assert again is not None and again.size == 13 and b"".join(again.iter_content()) == b"from a stream"
    obj.upload("text, stored as UTF-8 \u00e9")
    again.refresh()
    assert again.size == len("text, stored as UTF-8 \u00e9".encode()) and again.last_modified
    again.delete()
    assert bucket.objects.get('my-data.txt') is None
    bucket.delete()


def test_a_session_token_authenticates(moto_aws: MotoAws, tmp_path: Path) -> None:
    """"Using tokens for authentication" with AWS: moto refuses a request whose token is not STS's."""
    access_key, secret_key, session_token = moto_aws.issue()
    container = unique("container")
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(1000))
    setup = CloudProviderFactory().create_provider(ProviderList.AWS, {
        'aws_access_key': moto_aws.access_key, 'aws_secret_key': moto_aws.secret_key, 's3_endpoint_url': moto_aws.url})
    setup.storage.buckets.create(container)

    provider = CloudProviderFactory().create_provider(
        ProviderList.AWS,
        {'aws_access_key': access_key,
         'aws_secret_key': secret_key,
         'aws_session_token': session_token, 's3_endpoint_url': moto_aws.url})

    bucket = provider.storage.buckets.get(container)
    obj = bucket.objects.create('my_object.txt')
    obj.upload_from_file(str(source))

    stored = setup.storage.buckets.get(container).objects.get('my_object.txt')
    assert b"".join(stored.iter_content()) == source.read_bytes()
    forged = CloudProviderFactory().create_provider(ProviderList.AWS, {
        'aws_access_key': access_key, 'aws_secret_key': secret_key, 'aws_session_token': 'MY_SESSION_TOKEN',
        's3_endpoint_url': moto_aws.url})
    with pytest.raises(ProviderConnectionException):
        forged.storage.buckets.get(container).objects.create('other.txt').upload(b"x")


def test_openstack_with_a_pre_authenticated_token(swift_server: SwiftServer, tmp_path: Path) -> None:
    """The OpenStack block against the real Swift server: ``os_storage_url`` + ``os_auth_token``
    (from a tempauth login), then "access the container as usual"."""
    storage_url, token = swift_server.login()
    container = unique("container")
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(100_000))
    swift_server.driver().create_container(container)

    provider = CloudProviderFactory().create_provider(
        ProviderList.OPENSTACK, {'os_storage_url': storage_url, 'os_auth_token': token})

    bucket = provider.storage.buckets.get(container)
    obj = bucket.objects.create('my_object.txt')
    obj.upload_from_file(str(source))

    assert provider.driver.provider == Provider.OPENSTACK_SWIFT
    assert token not in repr(provider) and token not in repr(provider.driver)
    stored = swift_server.driver().get_object(container, 'my_object.txt')
    assert b"".join(stored.as_stream()) == source.read_bytes()


@pytest.mark.parametrize("store", ["aws", "azure", "gcp"])
def test_signed_urls(provider: CloudProvider, tmp_path: Path) -> None:
    """"Generating signed URLs": a GET URL, then a PUT URL a user without credentials uploads to.

    The seed builds the ``x-ms-blob-type`` header its comment says Azure requires, then leaves it out
    of ``requests.put``; here it is passed (Azure refuses the PUT without it, as the comment says).
    """
    my_bucket = unique("my-bucket")
    provider.storage.buckets.create(my_bucket).objects.create("my-file.txt").upload(b"signed content")

    bucket = provider.storage.buckets.get(my_bucket)
    obj = bucket.objects.get("my-file.txt")
    url = obj.generate_url(expires_in=7200)

    assert requests.get(url, timeout=30).content == b"signed content"

    bucket = provider.storage.buckets.get(my_bucket)
    obj = bucket.objects.create("my-file.txt")
    url = obj.generate_url(expires_in=7200, writable=True)

    content = b"Hello world!"
    # Only Azure requires the x-ms-blob-type header to be present, but there's no harm
    # in sending this in for all providers.
    headers = {'x-ms-blob-type': 'BlockBlob'}
    requests.put(url, data=content, headers=headers).raise_for_status()  # the seed forgets headers=

    stored = bucket.objects.get("my-file.txt")
    assert stored.size == len(content) and b"".join(stored.iter_content()) == content
    bucket.delete(delete_contents=True)


def test_the_local_store_has_no_signed_urls(tmp_path: Path) -> None:
    provider = CloudProviderFactory().create_provider("local://", {"local_root": str(tmp_path)})
    obj = provider.storage.buckets.create("my-bucket").objects.create("my-file.txt")
    with pytest.raises(NotSupportedError, match="URL"):
        obj.generate_url(expires_in=7200)
