"""storagekit: one libcloud-style API for S3 and S3-compatible stores, Azure Blob Storage,
Google Cloud Storage and the local filesystem, streamed, verified and fast."""

__version__ = "0.1.0"  # first: http.py puts it in the User-Agent

from .base import CHUNK_SIZE, DEFAULT_CONTENT_TYPE, Capabilities, StorageDriver
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
    "StorageDriver",
    "get_driver",
    "set_driver",
    *_types_all,
]
