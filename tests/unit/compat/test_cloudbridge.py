"""The CloudBridge facade's own rules, on the in-memory driver (the seed's examples: tests/integration)."""

from __future__ import annotations

import uuid

import pytest

from storagekit.base import StorageDriver
from storagekit.compat.cloudbridge import (
    CloudBridgeBaseException,
    CloudProviderFactory,
    DuplicateResourceException,
    InvalidConfigurationException,
    InvalidNameException,
    InvalidParamException,
    ProviderList,
)
from storagekit.types import ContainerAlreadyExistsError, Provider


def test_errors_are_cloudbridge_s_with_storagekit_s_as_cause(memory_driver: StorageDriver) -> None:
    buckets = CloudProviderFactory().create_provider(memory_driver).storage.buckets
    name = f"b-{uuid.uuid4().hex[:8]}"
    buckets.create(name)
    with pytest.raises(DuplicateResourceException, match=name) as raised:
        buckets.create(name)
    assert isinstance(raised.value.__cause__, ContainerAlreadyExistsError)
    assert isinstance(raised.value, CloudBridgeBaseException) and raised.value.container_name == name
    with pytest.raises(InvalidNameException):
        buckets.get(name).objects.create("")  # type: ignore[union-attr]


def test_find_matches_names_and_patterns_and_list_pages(memory_driver: StorageDriver) -> None:
    bucket = CloudProviderFactory().create_provider(memory_driver).storage.buckets.create(f"b-{uuid.uuid4().hex[:8]}")
    for name in ("logs/a.txt", "logs/b.txt", "photos/c.jpg"):
        bucket.objects.create(name).upload(name.encode())
    assert [obj.name for obj in bucket.objects.find(name="logs/*.txt")] == ["logs/a.txt", "logs/b.txt"]
    assert [obj.name for obj in bucket.objects.find(name="photos/c.jpg")] == ["photos/c.jpg"]
    assert [obj.name for obj in bucket.objects.list(limit=1, marker="logs/a.txt")] == ["logs/b.txt"]
    assert [obj.name for obj in bucket.objects.list(prefix="photos/")] == ["photos/c.jpg"]
    with pytest.raises(InvalidParamException, match="size"):
        bucket.objects.find(size=3)


def test_unknown_providers_and_half_a_service_principal_are_configuration_errors() -> None:
    with pytest.raises(InvalidConfigurationException, match=r"'dropbox'.*aws, azure, gcp, openstack"):
        CloudProviderFactory().create_provider("dropbox", {})
    with pytest.raises(InvalidConfigurationException, match="azure_tenant, azure_client_id and azure_secret"):
        CloudProviderFactory().create_provider(ProviderList.AZURE, {"azure_storage_account": "acct",
                                                                    "azure_client_id": "id"})


def test_aws_keys_come_from_cloudbridge_s_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_KEY", "secret-from-env")
    monkeypatch.setenv("AWS_REGION_NAME", "eu-west-3")
    provider = CloudProviderFactory().create_provider(ProviderList.AWS, {"aws_region_name": "eu-west-1"})
    assert provider.driver.provider == Provider.S3 and provider.driver.region == "eu-west-1"  # type: ignore[attr-defined]
    assert "secret-from-env" not in repr(provider)
