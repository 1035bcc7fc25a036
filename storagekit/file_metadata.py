"""A file's modification time and mode, kept in object metadata the way rclone keeps them.

``sync`` and ``cp`` store each uploaded file's mtime and mode as user metadata, under the
names and in the formats rclone uses, so rclone (and anything that reads rclone's metadata)
sees the same times storagekit does, and restores bring them back:

=====================  ===========================  =========================================
provider               mtime                        example
=====================  ===========================  =========================================
S3 and compatibles,    ``mtime``: seconds since     ``1732900000.123456789``
local, memory          the epoch, as decimal text
Azure Blob Storage     ``mtime``: RFC 3339, UTC,    ``2024-11-29T17:06:40.123456789Z``
                       nanoseconds
Google Cloud Storage   ``mtime`` as on Azure, and   ``goog-reserved-file-mtime``: ``1732900000``
                       gsutil's whole seconds
=====================  ===========================  =========================================

The mode is ``mode``: the ``st_mode`` in octal, as rclone's metadata writes it (``100644``);
restores apply only its permission bits (never set-uid, set-gid or sticky bits from a store).
An object without a recorded mtime has its ``last_modified`` as its modification time, as
rclone does.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from .models import Object
from .types import Provider

MTIME = "mtime"
MODE = "mode"
GSUTIL_MTIME = "goog-reserved-file-mtime"
NS = 1_000_000_000
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")
_DECIMAL = re.compile(r"(-?\d+)(?:\.(\d{1,9})\d*)?$")


def _rfc3339_family(provider: Provider | str) -> bool:
    return str(provider) in (Provider.AZURE_BLOBS.value, Provider.GOOGLE_STORAGE.value)


def metadata_for(mtime_ns: int, mode: int | None, provider: Provider | str) -> dict[str, str]:
    """The metadata recording a file's mtime and mode for a store of ``provider``.

    Args:
        mtime_ns: the file's ``st_mtime_ns``.
        mode: the file's ``st_mode`` (None: not recorded).
        provider: the destination driver's ``provider``.

    Returns:
        ``{"mtime": ..., "mode": ...}`` (plus gsutil's key on GCS).
    """
    meta = {MODE: f"{mode:o}"} if mode is not None else {}
    if _rfc3339_family(provider):
        when = datetime.fromtimestamp(mtime_ns // NS, timezone.utc)
        meta[MTIME] = f"{when:%Y-%m-%dT%H:%M:%S}.{mtime_ns % NS:09d}Z"
        if str(provider) == Provider.GOOGLE_STORAGE.value:
            meta[GSUTIL_MTIME] = str(mtime_ns // NS)
    else:
        meta[MTIME] = f"{mtime_ns // NS}.{mtime_ns % NS:09d}"
    return meta


def parse_time_ns(text: str) -> int | None:
    """Nanoseconds since the epoch from decimal seconds, RFC 3339 or RFC 1123 text; None if unreadable."""
    text = text.strip()
    decimal = _DECIMAL.fullmatch(text)
    if decimal:
        whole, fraction = decimal.groups()
        return int(whole) * NS + int((fraction or "").ljust(9, "0"))
    stamp = _RFC3339.fullmatch(text)
    try:
        if stamp:
            base, fraction, zone = stamp.groups()
            when = datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
            return int(when.timestamp()) * NS + int((fraction or "").ljust(9, "0"))
        return int(parsedate_to_datetime(text).timestamp()) * NS
    except (TypeError, ValueError, IndexError):
        return None


def recorded_mtime_ns(obj: Object) -> int | None:
    """The file mtime recorded in an object's metadata (rclone's or gsutil's key), or None."""
    meta = {name.lower(): value for name, value in obj.meta_data.items()}
    for name in (MTIME, GSUTIL_MTIME):
        if name in meta:
            value = parse_time_ns(meta[name])
            if value is not None:
                return value
    return None


def last_modified_ns(obj: Object) -> int | None:
    """When the store last wrote the object (its ``last_modified``), or None if not known."""
    value = obj.extra.get("last_modified")
    if isinstance(value, datetime):
        return int(value.timestamp() * NS)
    return parse_time_ns(value) if isinstance(value, str) else None


def recorded_mode(obj: Object) -> int | None:
    """The permission bits recorded in an object's metadata, or None."""
    meta = {name.lower(): value for name, value in obj.meta_data.items()}
    try:
        return int(meta[MODE], 8) & 0o777 if MODE in meta else None
    except ValueError:
        return None


def restore(path: str, mtime_ns: int | None, mode: int | None) -> None:
    """Give a restored file its recorded mtime and permission bits (those known)."""
    if mode is not None:
        os.chmod(path, mode & 0o777)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
