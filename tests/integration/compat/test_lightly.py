"""Seed 004 (Lightly's datasources), its storage part: each provider's datasource configuration
as storagekit locations (Lightly's argument names, placeholders filled in), checked for the
Input purpose (list and read) and the Lightly purpose (list, read, write, overwrite), and the
seed's "Verify Datasource Permissions" block on the report. The Lightly platform client is not
storage and is not here.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator

import pytest

from storagekit.base import StorageDriver
from storagekit.models import PermissionReport
from storagekit.urls import Location, open_url
from tests.support.azure_blobs import Azurite
from tests.support.google_storage import with_minted_token
from tests.support.s3 import SeaweedFS
from tests.support.servers import GCS_PROJECT


def verify_datasource_permissions(permissions: PermissionReport, capsys: pytest.CaptureFixture[str]) -> str:
    """The seed's block, ``client.list_datasource_permissions()`` replaced by the report; what it printed."""
    # Check Lightly access permissions
    try:
        assert permissions.can_list
        assert permissions.can_read
        assert permissions.can_write
        assert permissions.can_overwrite
    except AssertionError:
        print("Datasources are missing permissions. Potential errors are:", permissions.errors)
    return capsys.readouterr().out


def check(location: Location, purpose: str) -> PermissionReport:
    return location.driver.check_permissions(location.container, prefix=location.key, purpose=purpose)


@pytest.fixture
def s3_bucket(seaweedfs: SeaweedFS) -> Iterator[str]:
    admin = seaweedfs.driver()
    container = admin.create_container(f"lightly-{uuid.uuid4().hex[:12]}")
    admin.upload_object_via_stream([b"\x89PNG image"], container, "input/cat.png")
    yield container.name
    admin.delete_objects(admin.list_container_objects(container))
    admin.delete_container(container)


@pytest.mark.parametrize("scheme", ["s3", "obs"])
def test_s3_and_obs_datasources(seaweedfs: SeaweedFS, s3_bucket: str, scheme: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """set_s3_config / set_obs_config: an input datasource with read-only keys, a Lightly one with full keys."""
    def datasource(resource_path: str, access_key: str, secret_access_key: str) -> Location:
        if scheme == "s3":
            return open_url(resource_path, region=seaweedfs.region, endpoint_url=seaweedfs.endpoint_url,
                            key=access_key, secret=secret_access_key)
        return open_url(resource_path.replace("s3://", "obs://"), obs_endpoint=seaweedfs.endpoint_url,
                        obs_access_key_id=access_key, obs_secret_access_key=secret_access_key)

    read_only = datasource(f"s3://{s3_bucket}/input/", seaweedfs.reader_key, seaweedfs.reader_secret)
    assert check(read_only, "input").ok
    refused = check(read_only, "lightly")
    printed = verify_datasource_permissions(refused, capsys)
    assert "missing permissions" in printed and "'write'" in printed and not refused.can_write

    lightly = datasource(f"s3://{s3_bucket}/lightly/", seaweedfs.access_key, seaweedfs.secret_key)
    assert verify_datasource_permissions(check(lightly, "lightly"), capsys) == ""
    admin = seaweedfs.driver()
    assert [obj.name for obj in admin.list_container_objects(admin.get_container(s3_bucket))] == ["input/cat.png"]


def test_azure_datasources(azurite: Azurite, capsys: pytest.CaptureFixture[str]) -> None:
    """set_azure_config: container_name "my-container/input/", account_name and a SAS token."""
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    admin: StorageDriver = azurite.driver()
    container = admin.create_container(f"lightly-{uuid.uuid4().hex[:12]}")
    admin.upload_object_via_stream([b"\x89PNG image"], container, "input/cat.png")

    def sas_token(**allowed: bool) -> str:
        return generate_container_sas(azurite.account, container.name, account_key=azurite.key,
                                      permission=ContainerSasPermissions(**allowed),
                                      expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))

    def datasource(container_name: str, account_name: str, sas_token: str) -> Location:
        return open_url(f"az://{container_name}", key=account_name, sas_token=sas_token, endpoint_url=azurite.endpoint)

    try:
        read_only = datasource(f"{container.name}/input/", azurite.account, sas_token(read=True, list=True))
        assert check(read_only, "input").ok
        refused = check(read_only, "lightly")
        assert not refused.can_write and "missing permissions" in verify_datasource_permissions(refused, capsys)
        full = sas_token(read=True, list=True, write=True, create=True, delete=True)
        lightly = datasource(f"{container.name}/lightly/", azurite.account, full)
        assert verify_datasource_permissions(check(lightly, "lightly"), capsys) == ""
    finally:
        admin.delete_objects(admin.list_container_objects(container))
        admin.delete_container(container)


def test_gcs_datasources(fake_gcs_server: str, google_service_account_info: dict[str, object],
                         capsys: pytest.CaptureFixture[str]) -> None:
    """set_gcs_config: resource_path, project_id and credentials (fake-gcs-server checks no credentials,
    so only the full-access case is real here; read-only identities: S3 and Azure above)."""
    credentials = with_minted_token(google_service_account_info)
    bucket = f"lightly-{uuid.uuid4().hex[:12]}"
    open_url(f"gs://{bucket}/", endpoint_url=fake_gcs_server, project=GCS_PROJECT,
             credentials=credentials).ensure_container()
    for resource_path in (f"gs://{bucket}/input/", f"gs://{bucket}/lightly/"):
        location = open_url(resource_path, endpoint_url=fake_gcs_server, project=GCS_PROJECT, credentials=credentials)
        assert check(location, "input").ok  # an empty directory passes once listing works
        assert verify_datasource_permissions(check(location, "lightly"), capsys) == ""
