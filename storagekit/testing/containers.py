"""Containers: create, get, list, delete, and their error paths."""

from __future__ import annotations

import pytest

from ..base import StorageDriver
from ..models import Container
from ..types import (
    ContainerAlreadyExistsError,
    ContainerDoesNotExistError,
    ContainerIsNotEmptyError,
    InvalidContainerNameError,
)
from .fixtures import DriverTests, unique_name


class ContainerTests(DriverTests):
    """Containers: create, get, list, delete, and their error paths."""

    def test_create_get_list_delete(self, driver: StorageDriver) -> None:
        name = unique_name()
        created = driver.create_container(name)
        assert created.name == name and created.driver is driver
        assert driver.get_container(name).name == name
        assert name in [c.name for c in driver.list_containers()]
        assert name in [c.name for c in driver.iterate_containers()]
        assert driver.delete_container(created) is True
        assert name not in [c.name for c in driver.list_containers()]
        with pytest.raises(ContainerDoesNotExistError):
            driver.get_container(name)

    def test_duplicate_container_is_refused(self, driver: StorageDriver, container: Container) -> None:
        with pytest.raises(ContainerAlreadyExistsError) as info:
            driver.create_container(container.name)
        assert info.value.container_name == container.name
        assert isinstance(info.value, FileExistsError)

    def test_missing_container(self, driver: StorageDriver) -> None:
        name = unique_name("missing")
        with pytest.raises(ContainerDoesNotExistError) as info:
            driver.get_container(name)
        assert info.value.container_name == name
        assert isinstance(info.value, FileNotFoundError)
        ghost = Container(name, {}, driver)
        with pytest.raises(ContainerDoesNotExistError):
            driver.list_container_objects(ghost)
        with pytest.raises(ContainerDoesNotExistError):
            driver.upload_object_via_stream([b"data"], ghost, "a.txt")
        with pytest.raises(ContainerDoesNotExistError):
            driver.delete_container(ghost)

    def test_non_empty_container_cannot_be_deleted(self, driver: StorageDriver, container: Container) -> None:
        obj = driver.upload_object_via_stream([b"keep me"], container, "keep.txt")
        with pytest.raises(ContainerIsNotEmptyError):
            driver.delete_container(container)
        assert driver.get_object(container.name, "keep.txt").size == 7
        obj.delete()
        assert container.delete() is True

    @pytest.mark.parametrize("name", ["", "a/b", "bad\x00name"])
    def test_invalid_container_names(self, driver: StorageDriver, name: str) -> None:
        with pytest.raises(InvalidContainerNameError):
            driver.create_container(name)
