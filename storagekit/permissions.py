"""``check_permissions``: find out what credentials may do at a location by trying it.

Two purposes, as Lightly's datasources have them:

* ``"input"``: the credentials only need to list and read. The check lists the prefix and
  reads the first byte of an object the listing found; it never writes (an empty prefix
  passes the read check once listing works: there is nothing to be refused).
* ``"lightly"`` (the default): list, read, write, overwrite and delete, tried on one probe
  object named ``<prefix>.storagekit-check-<random>``, deleted at the end whenever the
  credentials allow it.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from .models import PERMISSION_PURPOSES, Container, Object, PermissionReport
from .types import InvalidOptionError, StorageKitError

if TYPE_CHECKING:
    from .base import StorageDriver

_LISTED = 20
"""How many listed objects an input check looks through for one with a byte to read."""


def check_permissions(driver: StorageDriver, container: Container, prefix: str = "",
                      purpose: str = "lightly") -> PermissionReport:
    """Try what ``purpose`` needs under ``prefix`` and report each check with why it failed.

    Args:
        driver: the driver whose credentials are checked.
        container: where.
        prefix: the "directory" checked (Lightly's resource path below the bucket).
        purpose: ``"input"`` (list and read, never a write) or ``"lightly"`` (list, read,
            write, overwrite, delete).

    Returns:
        The report; ``report.ok`` is true when every check of the purpose passed.

    Raises:
        InvalidOptionError: an unknown purpose.
    """
    if purpose not in PERMISSION_PURPOSES:
        raise InvalidOptionError(
            f"unknown permission-check purpose {purpose!r}: use one of {', '.join(PERMISSION_PURPOSES)}")
    report = PermissionReport(purpose=purpose)
    name = f"{prefix}.storagekit-check-{uuid.uuid4().hex[:12]}"

    def attempt(check: str, action: Callable[[], object]) -> bool:
        try:
            action()
        except StorageKitError as error:
            report.errors[check] = str(error)
            return False
        setattr(report, f"can_{check}", True)
        return True

    listed: list[Object] = []
    limit = _LISTED if purpose == "input" else 1
    listing_works = attempt("list", lambda: listed.extend(itertools.islice(
        driver.iterate_container_objects(container, prefix=prefix or None), limit)))
    if purpose == "input":
        if listed:
            _attempt_read_of_listed(driver, listed, attempt)
        elif listing_works:
            report.can_read = True  # nothing there to be refused
        else:
            report.errors["read"] = "not tried: nothing could be listed to read"
        return report
    if not attempt("write", lambda: driver.upload_object_via_stream([b"storagekit permission check\n"],
                                                                     container, name)):
        if listed:  # reading needs no probe: try the object the listing found
            _attempt_read_of_listed(driver, listed, attempt)
        else:
            report.errors["read"] = "not tried: nothing to read and the probe object could not be written"
        for check in ("overwrite", "delete"):
            report.errors[check] = "not tried: the probe object could not be written"
        return report
    attempt("read", lambda: b"".join(driver.download_object_as_stream(driver.get_object(container.name, name))))
    attempt("overwrite", lambda: driver.upload_object_via_stream([b"storagekit permission check, again\n"],
                                                                 container, name))
    attempt("delete", lambda: driver._delete_object(container, name))
    return report


def _attempt_read_of_listed(driver: StorageDriver, listed: list[Object],
                            attempt: Callable[[str, Callable[[], object]], bool]) -> None:
    """Read the first byte of the first non-empty listed object (or an empty one whole)."""
    obj = next((candidate for candidate in listed if candidate.size > 0), listed[0])
    attempt("read", lambda: b"".join(driver.download_object_range_as_stream(obj, 0, min(1, obj.size) or None)))
