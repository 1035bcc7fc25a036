"""check_permissions (and `storagekit check`) with credentials that may not do everything."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterator

import pytest

from storagekit.base import StorageDriver
from storagekit.cli import main
from tests.support.azure_blobs import Azurite
from tests.support.s3 import SeaweedFS


@pytest.fixture
def s3_bucket(seaweedfs: SeaweedFS) -> Iterator[str]:
    admin = seaweedfs.driver()
    container = admin.create_container(f"perm-{uuid.uuid4().hex[:12]}")
    admin.upload_object_via_stream([b"existing"], container, "data/existing.txt")
    yield container.name
    for obj in admin.list_container_objects(container):
        obj.delete()
    admin.delete_container(container)


def test_s3_read_only_identity(seaweedfs: SeaweedFS, s3_bucket: str) -> None:
    reader = seaweedfs.driver(key=seaweedfs.reader_key, secret=seaweedfs.reader_secret)
    report = reader.check_permissions(s3_bucket, prefix="data/")
    assert (report.can_list, report.can_read, report.can_write) == (True, True, False)
    assert not report.ok and "Access" in report.errors["write"]
    assert "not tried" in report.errors["delete"]


def test_s3_reader_via_the_command(seaweedfs: SeaweedFS, s3_bucket: str, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweedfs.reader_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweedfs.reader_secret)
    monkeypatch.setenv("AWS_ENDPOINT_URL", seaweedfs.endpoint_url)
    monkeypatch.setenv("AWS_REGION", seaweedfs.region)
    assert main(["check", f"s3://{s3_bucket}/data/"]) == 5
    rows = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()}
    assert rows == {"list": "yes", "read": "yes", "write": "NO", "overwrite": "NO", "delete": "NO"}


def test_azure_read_only_sas(azurite: Azurite) -> None:
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    admin: StorageDriver = azurite.driver()
    container = admin.create_container(f"perm-{uuid.uuid4().hex[:12]}")
    try:
        admin.upload_object_via_stream([b"existing"], container, "existing.txt")
        token = generate_container_sas(azurite.account, container.name, account_key=azurite.key,
                                       permission=ContainerSasPermissions(read=True, list=True),
                                       expiry=datetime.datetime.now(datetime.timezone.utc)
                                       + datetime.timedelta(hours=1))
        report = azurite.driver(sas_token=token).check_permissions(container.name)
        assert (report.can_list, report.can_read, report.can_write, report.can_delete) == (True, True, False, False)
        assert report.errors["write"]
    finally:
        for obj in admin.list_container_objects(container):
            obj.delete()
        admin.delete_container(container)


def test_s3_read_only_identity_is_a_good_input_and_a_bad_lightly_datasource(
        seaweedfs: SeaweedFS, s3_bucket: str) -> None:
    reader = seaweedfs.driver(key=seaweedfs.reader_key, secret=seaweedfs.reader_secret)
    admin = seaweedfs.driver()
    before = [obj.name for obj in admin.list_container_objects(admin.get_container(s3_bucket))]
    report = reader.check_permissions(s3_bucket, prefix="data/", purpose="input")
    assert report.ok and (report.can_list, report.can_read) == (True, True) and report.errors == {}
    assert not reader.check_permissions(s3_bucket, prefix="data/", purpose="lightly").ok
    after = [obj.name for obj in admin.list_container_objects(admin.get_container(s3_bucket))]
    assert before == after == ["data/existing.txt"]


@pytest.mark.parametrize("scheme", ["s3", "obs"])
def test_check_purpose_via_the_command(seaweedfs: SeaweedFS, s3_bucket: str, scheme: str,
                                       monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Lightly's two datasources with one read-only identity; obs:// reaches the same server as OBS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweedfs.reader_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweedfs.reader_secret)
    monkeypatch.setenv("AWS_REGION", seaweedfs.region)
    monkeypatch.setenv("OBS_ENDPOINT", seaweedfs.endpoint_url)
    endpoint = ["--endpoint-url", seaweedfs.endpoint_url] if scheme == "s3" else []  # obs: from OBS_ENDPOINT
    assert main([*endpoint, "check", "--purpose", "input", f"{scheme}://{s3_bucket}/data/"]) == 0
    rows = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()}
    assert rows == {"list": "yes", "read": "yes"}
    assert main([*endpoint, "check", "--json", "--purpose", "lightly", f"{scheme}://{s3_bucket}/data/"]) == 5
    document = json.loads(capsys.readouterr().out)
    assert document["purpose"] == "lightly" and not document["ok"]
    assert [name for name, check in document["checks"].items() if not check["allowed"]] == [
        "write", "overwrite", "delete"]
    assert "Access" in document["checks"]["write"]["reason"]
