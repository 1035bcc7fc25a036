"""The provider registry: names, lazy imports, set_driver, entry-point plugins."""

from __future__ import annotations

import sys
import textwrap
import typing
from pathlib import Path

import pytest

from storagekit import providers
from storagekit.drivers.memory import MemoryStorageDriver
from storagekit.providers import UnknownProviderError, get_driver, set_driver
from storagekit.types import Provider, StorageKitError


def test_enum_and_any_case_string() -> None:
    assert get_driver(Provider.MEMORY) is MemoryStorageDriver
    assert get_driver("memory") is MemoryStorageDriver
    assert get_driver(" MEMORY ") is MemoryStorageDriver
    assert str(Provider.S3) == "s3" and Provider("azure_blobs") is Provider.AZURE_BLOBS


def test_every_provider_is_registered() -> None:
    assert {p.value for p in Provider} <= set(providers.DRIVERS) | set(providers.CLOSED)
    assert list(Provider) == sorted(Provider, key=lambda p: p.name)
    with pytest.raises(TypeError):
        providers.DRIVERS["x"] = ("a", "b")  # type: ignore[index]


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProviderError) as info:
        get_driver("dropbox")
    assert isinstance(info.value, LookupError)
    assert "dropbox" in str(info.value) and "memory" in str(info.value)


LIBCLOUD_STORAGE_PROVIDERS = [
    "ALIYUN_OSS", "AURORAOBJECTS", "AZURE_BLOBS", "BACKBLAZE_B2", "CLOUDFILES", "CLOUDFILES_SWIFT", "CLOUDFILES_UK",
    "CLOUDFILES_US", "DIGITALOCEAN_SPACES", "DUMMY", "GOOGLE_STORAGE", "KTUCLOUD", "LOCAL", "MINIO", "NIMBUS",
    "NINEFOLD", "OPENSTACK_SWIFT", "OVH", "S3", "S3_AP_NORTHEAST", "S3_AP_NORTHEAST1", "S3_AP_NORTHEAST2",
    "S3_AP_SOUTH", "S3_AP_SOUTHEAST", "S3_AP_SOUTHEAST2", "S3_CA_CENTRAL", "S3_CN_NORTH", "S3_CN_NORTHWEST",
    "S3_EU_CENTRAL", "S3_EU_NORTH1", "S3_EU_WEST", "S3_EU_WEST2", "S3_EU_WEST3", "S3_RGW", "S3_RGW_OUTSCALE",
    "S3_SA_EAST", "S3_US_EAST2", "S3_US_GOV_WEST", "S3_US_WEST", "S3_US_WEST_OREGON", "SCALEWAY",
]
"""libcloud 3.9.1's ``libcloud.storage.types.Provider`` names (written out: the library never imports libcloud)."""
SWIFT_FAMILY = {"CLOUDFILES", "CLOUDFILES_SWIFT", "CLOUDFILES_UK", "CLOUDFILES_US", "KTUCLOUD", "OPENSTACK_SWIFT"}
"""Served by the Swift driver (libcloud 3.9.1's ``OVH`` is an S3 driver, and so is storagekit's)."""
S3_REGIONS = {
    "S3_EU_WEST3": "eu-west-3", "S3_EU_WEST2": "eu-west-2", "S3_US_WEST_OREGON": "us-west-2", "S3_RGW": "default",
    "S3_RGW_OUTSCALE": "eu-west-2", "ALIYUN_OSS": "cn-hangzhou", "OVH": "sbg",
}


@pytest.mark.parametrize("name", LIBCLOUD_STORAGE_PROVIDERS)
def test_every_libcloud_provider_name_resolves(name: str) -> None:
    """Each name (by its libcloud value) finds its driver, or says the service closed."""
    from storagekit.drivers.s3 import S3StorageDriver
    from storagekit.drivers.swift import SwiftStorageDriver

    irregular = {"S3_AP_NORTHEAST1": "s3_ap_northeast_1", "S3_AP_NORTHEAST2": "s3_ap_northeast_2",
                 "S3_EU_WEST2": "s3_eu_west_2", "S3_EU_WEST3": "s3_eu_west_3", "S3_EU_NORTH1": "s3_eu_north_1",
                 "S3_US_EAST2": "s3_us_east_2"}
    value = irregular.get(name, name.lower())
    assert Provider(value).name == name
    if name in ("NIMBUS", "NINEFOLD"):
        with pytest.raises(UnknownProviderError, match="the service closed"):
            get_driver(getattr(Provider, name))
        return
    cls = get_driver(value)
    if name in SWIFT_FAMILY:
        assert issubclass(cls, SwiftStorageDriver)
    elif name == "DUMMY":
        assert cls is MemoryStorageDriver and isinstance(cls("key", "secret"), MemoryStorageDriver)
    elif name in ("AZURE_BLOBS", "GOOGLE_STORAGE", "LOCAL"):
        assert cls.__module__.startswith(f"storagekit.drivers.{'local' if name == 'LOCAL' else name.lower()}")
    else:
        assert issubclass(cls, S3StorageDriver), name
        if name in S3_REGIONS:
            assert cls.preset.region == S3_REGIONS[name]  # type: ignore[attr-defined]


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    package = tmp_path / "acme_storage"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent("""
        from storagekit.drivers.memory import MemoryStorageDriver

        class AcmeDriver(MemoryStorageDriver):
            name = "Acme"
    """))
    dist = tmp_path / "acme_storage-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-storage\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[storagekit.drivers]\nacme = acme_storage:AcmeDriver\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(providers, "_entry_points_loaded", False)
    monkeypatch.setattr(providers, "_DRIVERS", dict(providers._DRIVERS))
    yield tmp_path
    sys.modules.pop("acme_storage", None)


def test_entry_point_plugins_are_found(plugin_path: Path) -> None:
    driver = get_driver("ACME")()
    assert driver.name == "Acme"
    container = driver.create_container("plugged")
    assert container.upload_object_via_stream([b"hi"], "x").size == 2


def test_set_driver_registers_and_refuses_taken_names(plugin_path: Path) -> None:
    cls = set_driver("acme2", "acme_storage", "AcmeDriver")
    assert get_driver("acme2") is cls
    with pytest.raises(StorageKitError, match="already registered"):
        set_driver("acme2", "acme_storage", "AcmeDriver")
    with pytest.raises(StorageKitError, match="already registered"):
        set_driver("memory", "acme_storage", "AcmeDriver")


def test_set_driver_undoes_itself_when_the_import_fails(plugin_path: Path) -> None:
    with pytest.raises(UnknownProviderError):
        set_driver("broken", "no_such_module_anywhere", "Driver")
    with pytest.raises(UnknownProviderError):
        get_driver("broken")
    with pytest.raises(UnknownProviderError):
        set_driver("broken2", "acme_storage", "NoSuchClass")
    assert "broken2" not in providers._DRIVERS


def test_s3_provider_names_exactly_the_providers_the_s3_driver_serves() -> None:
    """get_driver's overload for S3Provider promises an S3StorageDriver class: the list must not drift."""
    from storagekit.drivers.s3 import S3StorageDriver

    typed = set(typing.get_args(providers.S3Provider))
    assert typed == {p for p in Provider if providers.DRIVERS.get(p.value) == providers.DRIVERS[Provider.S3.value]}
    for provider in typed:
        assert issubclass(get_driver(provider), S3StorageDriver), provider
