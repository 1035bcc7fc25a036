"""Which class implements each provider: a lazy registry, extensible by plugins.

Usage::

    from storagekit.providers import get_driver, set_driver
    from storagekit.types import Provider

    cls = get_driver(Provider.S3)          # or get_driver("s3"), any case
    set_driver("acme", "acme_storage.driver", "AcmeStorageDriver")

Plugins can also register in the ``storagekit.drivers`` entry-point group, with
``name = "package.module:ClassName"``.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, overload

from .types import NotSupportedError, Provider, StorageKitError

if TYPE_CHECKING:
    from .base import StorageDriver
    from .drivers.azure_blobs import AzureBlobsStorageDriver
    from .drivers.google_storage import GoogleStorageDriver
    from .drivers.local import LocalStorageDriver
    from .drivers.memory import MemoryStorageDriver
    from .drivers.s3 import S3StorageDriver

ENTRY_POINT_GROUP = "storagekit.drivers"

_S3 = ("storagekit.drivers.s3", "S3StorageDriver")
_SWIFT = ("storagekit.drivers.swift", "SwiftStorageDriver")
# Alphabetical; S3 regions and S3-compatible services share one class (presets are data).
_DRIVERS: dict[str, tuple[str, str]] = {
    Provider.AZURE_BLOBS.value: ("storagekit.drivers.azure_blobs", "AzureBlobsStorageDriver"),
    Provider.DUMMY.value: ("storagekit.drivers.memory", "MemoryStorageDriver"),
    Provider.GOOGLE_STORAGE.value: ("storagekit.drivers.google_storage", "GoogleStorageDriver"),
    Provider.LOCAL.value: ("storagekit.drivers.local", "LocalStorageDriver"),
    Provider.MEMORY.value: ("storagekit.drivers.memory", "MemoryStorageDriver"),
    **{p.value: _S3 for p in Provider if p.value.startswith("s3")},
    **{
        p.value: _S3
        for p in (
            Provider.ALIYUN_OSS, Provider.AURORAOBJECTS, Provider.BACKBLAZE_B2, Provider.CEPH,
            Provider.CLOUDFLARE_R2, Provider.DIGITALOCEAN_SPACES,
            Provider.HUAWEI_OBS, Provider.MINIO, Provider.OVH, Provider.SCALEWAY, Provider.SEAWEEDFS, Provider.WASABI,
        )
    },
    **{
        p.value: _SWIFT
        for p in (
            Provider.CLOUDFILES, Provider.CLOUDFILES_SWIFT, Provider.CLOUDFILES_UK, Provider.CLOUDFILES_US,
            Provider.KTUCLOUD, Provider.OPENSTACK_SWIFT, Provider.OVH_SWIFT,
        )
    },
}
DRIVERS = MappingProxyType(_DRIVERS)
"""Read-only view of the registry: provider name -> (module, class name)."""

S3Provider = Literal[
    Provider.S3, Provider.S3_AP_NORTHEAST, Provider.S3_AP_NORTHEAST1, Provider.S3_AP_NORTHEAST2,
    Provider.S3_AP_SOUTH, Provider.S3_AP_SOUTHEAST, Provider.S3_AP_SOUTHEAST2, Provider.S3_CA_CENTRAL,
    Provider.S3_CN_NORTH, Provider.S3_CN_NORTHWEST, Provider.S3_EU_CENTRAL, Provider.S3_EU_NORTH1,
    Provider.S3_EU_WEST, Provider.S3_EU_WEST2, Provider.S3_SA_EAST, Provider.S3_US_EAST2,
    Provider.S3_US_GOV_WEST, Provider.S3_US_WEST, Provider.S3_US_WEST_OREGON, Provider.BACKBLAZE_B2,
    Provider.CEPH, Provider.CLOUDFLARE_R2, Provider.DIGITALOCEAN_SPACES, Provider.HUAWEI_OBS, Provider.MINIO,
    Provider.OVH, Provider.SCALEWAY, Provider.SEAWEEDFS, Provider.WASABI, Provider.S3_EU_WEST3, Provider.S3_RGW,
    Provider.S3_RGW_OUTSCALE, Provider.AURORAOBJECTS, Provider.ALIYUN_OSS,
]
"""The providers the S3 driver serves, for type checkers: ``get_driver`` of one is an S3StorageDriver class."""

CLOSED: MappingProxyType[str, str] = MappingProxyType({
    Provider.NIMBUS.value: "Nimbus.io closed its storage service",
    Provider.NINEFOLD.value: "Ninefold closed its cloud (and its Atmos storage) in 2016",
})
"""libcloud provider names whose service no longer exists: ``get_driver`` says so instead of "unknown"."""

_lock = threading.Lock()
_entry_points_loaded = False


class UnknownProviderError(StorageKitError, LookupError):
    """No driver is registered under that name."""


def _key(provider: Provider | str) -> str:
    return provider.value if isinstance(provider, Provider) else str(provider).strip().lower()


def _load_entry_points() -> None:
    global _entry_points_loaded
    with _lock:
        if _entry_points_loaded:
            return
        _entry_points_loaded = True
        from importlib.metadata import entry_points  # ~20 ms: only when a name is looked up

        for entry in entry_points(group=ENTRY_POINT_GROUP):
            module, _, class_name = entry.value.partition(":")
            _DRIVERS.setdefault(entry.name.lower(), (module.strip(), class_name.strip()))


@overload
def get_driver(provider: Literal[Provider.AZURE_BLOBS]) -> type[AzureBlobsStorageDriver]: ...
@overload
def get_driver(provider: Literal[Provider.GOOGLE_STORAGE]) -> type[GoogleStorageDriver]: ...
@overload
def get_driver(provider: Literal[Provider.LOCAL]) -> type[LocalStorageDriver]: ...
@overload
def get_driver(provider: Literal[Provider.MEMORY]) -> type[MemoryStorageDriver]: ...
@overload
def get_driver(provider: S3Provider) -> type[S3StorageDriver]: ...
@overload
def get_driver(provider: Provider | str) -> type[StorageDriver]: ...
def get_driver(provider: Provider | str) -> type[StorageDriver]:
    """The driver class for a provider (enum or name, any case), imported on first use.

    Usage::

        driver = get_driver(Provider.S3)("access key", "secret key", region="eu-west-1")

    Args:
        provider: a :class:`~storagekit.types.Provider`, or a provider's name (``"s3"``, ``"MINIO"``,
            a plugin's registered name).

    Returns:
        The driver class; S3-compatible services get the S3 driver with their preset.

    Raises:
        UnknownProviderError: (a LookupError) no driver has that name (the message lists the known
            ones), or the service closed (libcloud's ``NIMBUS`` and ``NINEFOLD``).
        NotSupportedError: the provider's driver is not part of this release.

    """
    key = _key(provider)
    if key in CLOSED:
        raise UnknownProviderError(f"no storage driver for {key}: the service closed ({CLOSED[key]})")
    if key not in _DRIVERS:
        _load_entry_points()
    try:
        module_name, class_name = _DRIVERS[key]
    except KeyError:
        known = ", ".join(sorted(_DRIVERS))
        raise UnknownProviderError(f"no storage driver named {provider!r}; known: {known}") from None
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        raise NotSupportedError(f"the {key} driver ({module_name}) is not available in this release yet") from None
    driver: type[StorageDriver] = getattr(module, class_name)
    if isinstance(provider, Provider) or key in Provider._value2member_map_:
        return _preset(driver, Provider(key))
    return driver


def _preset(driver: type[StorageDriver], provider: Provider) -> type[StorageDriver]:
    """Drivers serving several providers (the S3 presets) pick theirs with ``for_provider``."""
    for_provider: Callable[[Provider], type[StorageDriver]] | None = getattr(driver, "for_provider", None)
    return for_provider(provider) if for_provider else driver


def set_driver(name: str, module: str, class_name: str) -> type[StorageDriver]:
    """Register a third-party driver under ``name``; refuses a taken name, undoes itself on failure.

    Args:
        name: the provider name ``get_driver`` will answer to.
        module: the dotted module that holds the driver class.
        class_name: the class's name in that module.

    Returns:
        The driver class, imported.

    Raises:
        StorageKitError: the name is already registered.
        UnknownProviderError: the module or the class cannot be imported (nothing stays registered).

    """
    key = _key(name)
    _load_entry_points()
    with _lock:
        if key in _DRIVERS:
            raise StorageKitError(f"a driver named {key!r} is already registered ({_DRIVERS[key][0]})")
        _DRIVERS[key] = (module, class_name)
    try:
        driver: type[StorageDriver] = getattr(importlib.import_module(module), class_name)
        return driver
    except (ImportError, AttributeError) as error:
        with _lock:
            del _DRIVERS[key]
        raise UnknownProviderError(f"cannot load driver {key!r} from {module}.{class_name}: {error}") from None
