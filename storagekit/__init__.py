"""storagekit: one libcloud-style API for S3 and S3-compatible stores, Azure Blob Storage,
Google Cloud Storage and the local filesystem, streamed, verified and fast."""

from ._version import __version__ as __version__
from .base import CHUNK_SIZE, DEFAULT_CONTENT_TYPE, Capabilities, StorageDriver
from .http import RetryPolicy
from .models import Container, Object, PermissionReport, Prefix
from .providers import get_driver, set_driver
from .types import *  # noqa: F403
from .types import __all__ as _types_all

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_CONTENT_TYPE",
    "Capabilities",
    "Container",
    "Object",
    "PermissionReport",
    "Prefix",
    "RetryPolicy",
    "StorageDriver",
    "get_driver",
    "set_driver",
    *_types_all,
]
