"""Upload options: the ``extra`` / ``ex_meta`` / ``headers`` arguments, parsed once for every driver.

``extra`` takes libcloud's snake_case keys and the S3 (boto3) spellings alike, so
``{"content_type": "text/plain"}`` and ``{"ContentType": "text/plain"}`` mean the same.
An unknown key is an error rather than silently ignored. No value may hold a control
character (CR, LF, NUL, ...): each ends up in an HTTP header or a multipart upload's part
headers, where a line break would let a value write headers of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .types import InvalidOptionError

_ALIASES = {
    "content_type": ("content_type", "ContentType"),
    "content_encoding": ("content_encoding", "ContentEncoding"),
    "content_disposition": ("content_disposition", "ContentDisposition"),
    "content_language": ("content_language", "ContentLanguage"),
    "cache_control": ("cache_control", "CacheControl"),
    "storage_class": ("storage_class", "StorageClass", "tier", "Tier"),
    "acl": ("acl", "ACL"),
    "server_side_encryption": ("server_side_encryption", "ServerSideEncryption"),
    "kms_key_id": ("kms_key_id", "SSEKMSKeyId", "ssekms_key_id"),
    "blob_type": ("blob_type", "BlobType"),
    "if_none_match": ("if_none_match", "IfNoneMatch"),
    "if_match": ("if_match", "IfMatch"),
    "meta_data": ("meta_data", "Metadata", "metadata"),
}
_KEY_TO_FIELD = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
"""Characters no header-borne value may hold (a tab may: HTTP allows it inside a value)."""


@dataclass
class UploadOptions:
    """Everything an upload may set besides the bytes, in one normalized form."""

    content_type: str | None = None
    content_encoding: str | None = None
    content_disposition: str | None = None
    content_language: str | None = None
    cache_control: str | None = None
    storage_class: str | None = None
    acl: str | None = None
    server_side_encryption: str | None = None
    kms_key_id: str | None = None
    blob_type: str | None = None
    if_none_match: str | None = None
    """``"*"`` makes the write create-only: it fails with PreconditionFailedError if the object exists."""
    if_match: str | None = None
    """An etag (or GCS generation): the write succeeds only if the object still has it."""
    meta_data: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        extra: Mapping[str, Any] | None = None,
        ex_meta: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> UploadOptions:
        """Build options from libcloud-style arguments, refusing unknown ``extra`` keys.

        Args:
            extra: object properties, snake_case or libcloud's CamelCase keys (``content_type`` /
                ``ContentType``, ``meta_data``, ``storage_class``, ``if_none_match``, ...).
            ex_meta: user metadata, merged with ``extra["meta_data"]``.
            headers: extra HTTP headers for the upload.

        Returns:
            The options.

        Raises:
            InvalidOptionError: an unknown ``extra`` key, a value of the wrong type, or a header with
                a character HTTP cannot carry (named).

        """
        if headers is not None and not isinstance(headers, Mapping):
            raise InvalidOptionError(f"headers must be a mapping of header names to strings, not {headers!r}")
        options = cls(headers={
            _safe(name, "header name"): _safe(value, f"header {name!r}") for name, value in (headers or {}).items()
        })
        for key, value in (extra or {}).items():
            name = _KEY_TO_FIELD.get(key)
            if name is None:
                known = ", ".join(sorted(_KEY_TO_FIELD))
                raise InvalidOptionError(f"unknown upload option {key!r} in extra (known: {known})")
            if name == "meta_data":
                options.meta_data.update(_metadata(value, key))
            elif value is not None:
                setattr(options, name, _safe(value, f"upload option {key!r}"))
        options.meta_data.update(_metadata(ex_meta or {}, "ex_meta"))
        return options

    def stored_properties(self) -> dict[str, str]:
        """The properties a store keeps with the object (content type, encoding, ...), set ones only.

        Returns:
            Property name to value.

        """
        return {name: getattr(self, name) for name in STORED_PROPERTIES if getattr(self, name) is not None}


STORED_PROPERTIES = (
    "content_type",
    "content_encoding",
    "content_disposition",
    "content_language",
    "cache_control",
    "storage_class",
)
"""Upload options that become part of the object (and come back in ``Object.extra``)."""
HTTP_PROPERTIES = STORED_PROPERTIES[:-1]
"""The stored properties every provider understands (storage classes are provider-specific)."""


def _metadata(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidOptionError(f"{where} must be a mapping of metadata names to strings")
    result = {}
    for name, item in value.items():
        if not isinstance(name, str) or not name:
            raise InvalidOptionError(f"metadata names must be non-empty strings (got {name!r} in {where})")
        if not isinstance(item, (str, int, float)):
            raise InvalidOptionError(f"metadata value for {name!r} must be a string, not {type(item).__name__}")
        result[_safe(name, f"metadata name in {where}")] = _safe(str(item), f"metadata value for {name!r}")
    return result


def _safe(value: Any, what: str) -> str:
    """``value`` if it is a string without control characters (CR, LF, NUL, ...).

    Raises:
        InvalidOptionError: not a string, or it holds a control character.
    """
    if not isinstance(value, str):
        raise InvalidOptionError(f"{what} must be a string, not {type(value).__name__}")
    found = _CONTROL.search(value)
    if found:
        raise InvalidOptionError(
            f"{what} holds the control character {found.group()!r} at {found.start()}: "
            "values go into HTTP headers, where CR and LF would start new ones"
        )
    return value


def with_storage_class(extra: Mapping[str, Any] | None, storage_class: str | None) -> Mapping[str, Any] | None:
    """``extra`` with libcloud's ``ex_storage_class`` keyword folded in as ``storage_class``.

    Raises:
        InvalidOptionError: ``extra`` names a different storage class already.
    """
    if storage_class is None:
        return extra
    given = {key: value for key, value in (extra or {}).items()
             if key in _ALIASES["storage_class"] and value != storage_class}
    if given:
        raise InvalidOptionError(
            f"ex_storage_class={storage_class!r} and extra {', '.join(sorted(given))} disagree: give one"
        )
    return {**(extra or {}), "storage_class": storage_class}
