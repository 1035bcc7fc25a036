"""Object lookup, deletion, copies, URLs and permission checks."""

from __future__ import annotations

import pytest

from ..base import StorageDriver
from ..drivers.memory import MemoryStorageDriver
from ..models import Container
from ..types import InvalidObjectNameError, NotSupportedError, ObjectDoesNotExistError
from .fixtures import DriverTests, empty_and_delete, unique_name


class ObjectTests(DriverTests):
    """Object lookup, deletion, copies, URLs and permission checks."""

    def test_get_object_properties(self, driver: StorageDriver, container: Container) -> None:
        driver.upload_object_via_stream([b"abc"], container, "p.txt", extra={"content_type": "text/plain"})
        obj = driver.get_object(container.name, "p.txt")
        assert (obj.name, obj.size, obj.container.name, obj.driver) == ("p.txt", 3, container.name, driver)
        assert obj.extra["etag"] and obj.extra["last_modified"]
        assert obj.hash
        if "md5" in obj.checksums:
            assert obj.checksums["md5"] == "900150983cd24fb0d6963f7d28e17f72"
        assert driver.object_exists(container, "p.txt") is True
        assert driver.object_exists(container, "nope.txt") is False
        assert "p.txt" in repr(obj)

    def test_missing_object(self, driver: StorageDriver, container: Container) -> None:
        with pytest.raises(ObjectDoesNotExistError) as info:
            driver.get_object(container.name, "nope.txt")
        assert (info.value.container_name, info.value.object_name) == (container.name, "nope.txt")
        assert isinstance(info.value, FileNotFoundError)

    def test_delete_object(self, driver: StorageDriver, container: Container) -> None:
        obj = driver.upload_object_via_stream([b"x"], container, "gone.txt")
        assert driver.delete_object(obj) is True
        with pytest.raises(ObjectDoesNotExistError):
            driver.get_object(container.name, "gone.txt")
        if driver.capabilities.delete_reports_missing:
            with pytest.raises(ObjectDoesNotExistError):
                driver.delete_object(obj)
        else:
            assert driver.delete_object(obj) is True

    def test_delete_objects_in_batch(self, driver: StorageDriver, container: Container) -> None:
        objs = [driver.upload_object_via_stream([b"x"], container, f"batch/{i}") for i in range(5)]
        assert driver.delete_objects(objs) == []
        assert driver.list_container_objects(container) == []

    @pytest.mark.parametrize("name", ["", "nul\x00byte", "x" * 1025])
    def test_invalid_object_names(self, driver: StorageDriver, container: Container, name: str) -> None:
        with pytest.raises(InvalidObjectNameError):
            driver.upload_object_via_stream([b"x"], container, name)
        with pytest.raises(InvalidObjectNameError):
            driver.get_object(container.name, name)

    def test_copy_within_and_across_containers(self, driver: StorageDriver, container: Container) -> None:
        source = driver.upload_object_via_stream([b"copy me"], container, "src.txt",
                                                 extra={"content_type": "text/plain"}, ex_meta={"origin": "test"})
        source = driver.get_object(container.name, "src.txt")
        copy = driver.copy_object(source, container, "dst.txt")
        assert copy.name == "dst.txt"
        fetched = driver.get_object(container.name, "dst.txt")
        assert fetched.size == 7 and fetched.meta_data.get("origin") == "test"
        assert fetched.extra["content_type"].startswith("text/plain")
        other = driver.create_container(unique_name())
        try:
            driver.copy_object(source, other, "again.txt", ex_meta={"origin": "changed"})
            again = driver.get_object(other.name, "again.txt")
            assert b"".join(again.as_stream()) == b"copy me"
            assert again.meta_data.get("origin") == "changed"
        finally:
            empty_and_delete(other)

    def test_copy_between_drivers(self, driver: StorageDriver, container: Container) -> None:
        memory_driver = MemoryStorageDriver()
        source = driver.upload_object_via_stream([b"across"], container, "x.txt", ex_meta={"k": "v"})
        target = memory_driver.create_container(unique_name())
        copy = driver.copy_object(driver.get_object(container.name, source.name), target, "y.txt")
        assert copy.driver is memory_driver
        assert b"".join(copy.as_stream()) == b"across"
        assert copy.meta_data.get("k") == "v"

    def test_signed_urls_or_not_supported(self, driver: StorageDriver, container: Container) -> None:
        obj = driver.upload_object_via_stream([b"x"], container, "u.txt")
        if driver.capabilities.signed_urls:
            url = driver.get_object_url(obj, expires_in=60)
            assert url.startswith("http") and "u.txt" in url
            assert driver.get_object_cdn_url(obj).startswith("http")
            assert driver.get_object_url(container, method="PUT", object_name="new.txt").startswith("http")
        else:
            with pytest.raises(NotSupportedError):
                driver.get_object_url(obj)
            with pytest.raises(NotSupportedError):
                obj.get_cdn_url()
        with pytest.raises(NotSupportedError):
            driver.get_object_url(obj, method="DELETE")

    def test_check_permissions_with_full_access(self, driver: StorageDriver, container: Container) -> None:
        report = driver.check_permissions(container, prefix="probe/")
        assert report.ok, report.errors
        assert report.errors == {}
        assert driver.list_container_objects(container) == []  # the probe is gone
