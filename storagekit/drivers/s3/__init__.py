"""Amazon S3 and S3-compatible services (MinIO, SeaweedFS, Ceph, R2, B2, Wasabi, ...).

Usage::

    from storagekit.providers import get_driver
    from storagekit.types import Provider

    driver = get_driver(Provider.S3)("access_key", "secret_key", region="eu-west-1")
"""

from .driver import S3StorageDriver
from .presets import PRESETS, S3Preset

__all__ = ["PRESETS", "S3Preset", "S3StorageDriver"]
