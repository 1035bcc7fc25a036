"""Google Cloud Storage driver (JSON API): ``from storagekit.drivers.google_storage import GoogleStorageDriver``."""

from .driver import GoogleStorageDriver

__all__ = ["GoogleStorageDriver"]
