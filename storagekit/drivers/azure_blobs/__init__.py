"""Azure Blob Storage: :class:`AzureBlobsStorageDriver` (see ``driver.py``)."""

from .driver import CRC64_METADATA, X_MS_VERSION, AzureBlobsStorageDriver

__all__ = ["CRC64_METADATA", "X_MS_VERSION", "AzureBlobsStorageDriver"]
