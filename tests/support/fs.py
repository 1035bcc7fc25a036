"""Filesystems for tests: the storagekit fsspec filesystem over the same store a test driver speaks to.

``filesystem_for(driver)`` builds a :class:`~storagekit.fs.StorageKitFileSystem` from the options
the driver was constructed with (so the filesystem's own option path is what runs), for the
session-scoped ``<driver>_driver`` fixtures and the drivers made in a test.
"""

from __future__ import annotations

from typing import Any

from storagekit.base import StorageDriver
from storagekit.fs import StorageKitFileSystem
from storagekit.types import Provider

_SCHEMES = {
    Provider.AZURE_BLOBS: "az",
    Provider.GOOGLE_STORAGE: "gs",
    Provider.OPENSTACK_SWIFT: "swift",
    Provider.LOCAL: "local",
    Provider.MEMORY: "memory",
}


def filesystem_for(driver: StorageDriver, **options: Any) -> StorageKitFileSystem:
    """A new filesystem (not fsspec's cached instance) on the store ``driver`` speaks to.

    Args:
        driver: a driver built by its constructor with keyword options (the local driver: its root).
        **options: more storage options (``batch_size``, transfer settings...).
    """
    provider = Provider(driver.provider)
    scheme = _SCHEMES.get(provider, "s3")
    recorded = driver._constructor_options
    settings: dict[str, Any] = dict(recorded.kwargs)
    if provider is Provider.LOCAL:
        settings = {"local_root": str(recorded.args[0] if recorded.args else recorded.kwargs["key"])}
    elif provider is Provider.MEMORY:
        settings = {}
    elif scheme == "s3" and provider is not Provider.S3:
        settings["provider"] = provider.value
    return StorageKitFileSystem(scheme=scheme, skip_instance_cache=True, **settings, **options)
