"""storagekit: one libcloud-style API for S3 and S3-compatible stores, Azure Blob Storage,
Google Cloud Storage and the local filesystem, streamed, verified and fast.

The names below are imported when first used (PEP 562), so ``import storagekit.cli`` or
``import storagekit.types`` does not load the HTTP stack: ``storagekit --version`` starts in a
fraction of the time, and every name is still importable from here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__
from .types import *  # noqa: F403
from .types import __all__ as _types_all

if TYPE_CHECKING:
    from .base import CHUNK_SIZE, DEFAULT_CONTENT_TYPE, Capabilities, StorageDriver
    from .http import RetryPolicy
    from .models import Container, Object, PermissionReport, Prefix
    from .providers import get_driver, set_driver

_LAZY = {
    "CHUNK_SIZE": "base",
    "DEFAULT_CONTENT_TYPE": "base",
    "Capabilities": "base",
    "StorageDriver": "base",
    "RetryPolicy": "http",
    "Container": "models",
    "Object": "models",
    "PermissionReport": "models",
    "Prefix": "models",
    "get_driver": "providers",
    "set_driver": "providers",
}
"""Each re-exported name and the module (below storagekit) that defines it."""

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


def __getattr__(name: str) -> Any:
    """Import a re-exported name on first use and keep it here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'storagekit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
