"""check_permissions' purposes on the in-memory driver (read-only identities: tests/integration)."""

from __future__ import annotations

import uuid

import pytest

from storagekit.base import StorageDriver
from storagekit.types import InvalidOptionError


def _names(driver: StorageDriver, container_name: str) -> list[str]:
    return [obj.name for obj in driver.list_container_objects(driver.get_container(container_name))]


def test_input_lists_and_reads_and_never_writes(memory_driver: StorageDriver) -> None:
    container = memory_driver.create_container(f"perm-{uuid.uuid4().hex[:8]}")
    memory_driver.upload_object_via_stream([b""], container, "input/marker/")
    memory_driver.upload_object_via_stream([b"pixels"], container, "input/cat.png")
    report = memory_driver.check_permissions(container, prefix="input/", purpose="input")
    assert report.ok and report.checks == ("list", "read") and report.purpose == "input"
    assert (report.can_list, report.can_read, report.can_write) == (True, True, False)
    assert report.errors == {}
    assert _names(memory_driver, container.name) == ["input/cat.png", "input/marker/"]  # nothing written


def test_input_on_an_empty_prefix_passes_once_listing_works(memory_driver: StorageDriver) -> None:
    container = memory_driver.create_container(f"perm-{uuid.uuid4().hex[:8]}")
    report = memory_driver.check_permissions(container, prefix="input/", purpose="input")
    assert report.ok and _names(memory_driver, container.name) == []


def test_input_on_a_missing_container_fails_list_and_says_why_read_was_not_tried(
        memory_driver: StorageDriver) -> None:
    report = memory_driver.check_permissions(f"missing-{uuid.uuid4().hex[:8]}", purpose="input")
    assert not report.ok and not report.can_list and not report.can_read
    assert "missing-" in report.errors["list"] and "not tried" in report.errors["read"]


def test_lightly_is_the_default_and_needs_all_five(memory_driver: StorageDriver) -> None:
    container = memory_driver.create_container(f"perm-{uuid.uuid4().hex[:8]}")
    report = memory_driver.check_permissions(container, prefix="lightly/")
    assert report.ok and report.purpose == "lightly"
    assert report.checks == ("list", "read", "write", "overwrite", "delete")
    assert _names(memory_driver, container.name) == []  # the probe is gone


def test_an_unknown_purpose_is_refused_by_name(memory_driver: StorageDriver) -> None:
    with pytest.raises(InvalidOptionError, match=r"'output'.*input, lightly"):
        memory_driver.check_permissions("anything", purpose="output")
