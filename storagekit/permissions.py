"""``check_permissions``: find out what credentials may do at a location by trying it."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from .models import Container, Object, PermissionReport
from .types import StorageKitError

if TYPE_CHECKING:
    from .base import StorageDriver


def check_permissions(driver: StorageDriver, container: Container, prefix: str = "") -> PermissionReport:
    """List, write, read, overwrite and delete one probe object under ``prefix``; report each.

    The probe is named ``<prefix>.storagekit-check-<random>`` and is deleted at the end
    whenever the credentials allow it.
    """
    report = PermissionReport()
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
    attempt("list", lambda: listed.extend(itertools.islice(
        driver.iterate_container_objects(container, prefix=prefix or None), 1)))
    if not attempt("write", lambda: driver.upload_object_via_stream([b"storagekit permission check\n"],
                                                                     container, name)):
        if listed:  # reading needs no probe: try the first byte of the object the listing found
            attempt("read", lambda: b"".join(driver.download_object_range_as_stream(
                listed[0], 0, min(1, listed[0].size) or None)))
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
