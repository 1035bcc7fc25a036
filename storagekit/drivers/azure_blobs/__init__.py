"""Azure Blob Storage: :class:`AzureBlobsStorageDriver` (see ``driver.py``)."""

from .driver import X_MS_VERSION, AzureBlobsStorageDriver

__all__ = ["X_MS_VERSION", "AzureBlobsStorageDriver"]
