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
    assert {p.value for p in Provider} <= set(providers.DRIVERS)
    assert list(Provider) == sorted(Provider, key=lambda p: p.name)
    with pytest.raises(TypeError):
        providers.DRIVERS["x"] = ("a", "b")  # type: ignore[index]


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProviderError) as info:
        get_driver("dropbox")
    assert isinstance(info.value, LookupError)
    assert "dropbox" in str(info.value) and "memory" in str(info.value)


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
    assert typed == {p for p in Provider if providers.DRIVERS[p.value] == providers.DRIVERS[Provider.S3.value]}
    for provider in typed:
        assert issubclass(get_driver(provider), S3StorageDriver), provider
