"""``check_permissions``: find out what credentials may do at a location by trying it."""

from __future__ import annotations

import itertools
import uuid
from typing import TYPE_CHECKING

from .models import Container, PermissionReport
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
    try:
        list(itertools.islice(driver.iterate_container_objects(container, prefix=prefix or None), 1))
        report.can_list = True
    except StorageKitError as error:
        report.errors["list"] = str(error)
    try:
        driver.upload_object_via_stream([b"storagekit permission check\n"], container, name)
        report.can_write = True
    except StorageKitError as error:
        report.errors["write"] = str(error)
    if report.can_write:
        try:
            obj = driver.get_object(container.name, name)
            b"".join(driver.download_object_as_stream(obj))
            report.can_read = True
        except StorageKitError as error:
            report.errors["read"] = str(error)
        try:
            driver.upload_object_via_stream([b"storagekit permission check, again\n"], container, name)
            report.can_overwrite = True
        except StorageKitError as error:
            report.errors["overwrite"] = str(error)
        try:
            driver._delete_object(container, name)
            report.can_delete = True
        except StorageKitError as error:
            report.errors["delete"] = str(error)
    else:
        for check in ("read", "overwrite", "delete"):
            report.errors[check] = "not tried: the probe object could not be written"
    return report
