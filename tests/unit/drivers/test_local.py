"""Local driver specifics: the root is a boundary, writes are atomic, metadata persists."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from storagekit.drivers.local import LocalStorageDriver
from storagekit.types import (
    ContainerDoesNotExistError,
    InvalidContainerNameError,
    InvalidObjectNameError,
    ObjectHashMismatchError,
)


@pytest.fixture
def driver(tmp_path: Path) -> LocalStorageDriver:
    (tmp_path / "root").mkdir()
    return LocalStorageDriver(str(tmp_path / "root"))


def outside_files(tmp_path: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if "root" not in p.parts)


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "a/../../escape.txt", "a/./b", "a//b", "dir/"])
def test_names_that_escape_or_are_ambiguous_are_refused(driver: LocalStorageDriver, tmp_path: Path,
                                                         name: str) -> None:
    container = driver.create_container("c")
    with pytest.raises(InvalidObjectNameError):
        driver.upload_object_via_stream([b"x"], container, name)
    with pytest.raises(InvalidObjectNameError):
        driver.get_object("c", name)
    assert outside_files(tmp_path) == []


def test_symlink_out_of_the_root_is_refused(driver: LocalStorageDriver, tmp_path: Path) -> None:
    container = driver.create_container("c")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    os.symlink(outside, Path(driver.root) / "c" / "link")
    with pytest.raises(InvalidObjectNameError):
        driver.upload_object_via_stream([b"x"], container, "link/planted.txt")
    with pytest.raises(InvalidObjectNameError):
        driver.get_object("c", "link/secret.txt")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


@pytest.mark.parametrize("name", [".storagekit", ".hidden", "a\\b"])
def test_container_names_that_could_collide_are_refused(driver: LocalStorageDriver, name: str) -> None:
    with pytest.raises(InvalidContainerNameError):
        driver.create_container(name)


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContainerDoesNotExistError, match="not a directory"):
        LocalStorageDriver(str(tmp_path / "nope"))


def test_metadata_survives_a_new_driver_instance(driver: LocalStorageDriver) -> None:
    container = driver.create_container("c")
    driver.upload_object_via_stream([b"{}"], container, "d/x.json", extra={"content_type": "application/json",
                                    "cache_control": "no-cache"}, ex_meta={"Owner": "Ann"})
    again = LocalStorageDriver(driver.root).get_object("c", "d/x.json")
    assert again.extra["content_type"] == "application/json" and again.extra["cache_control"] == "no-cache"
    assert again.meta_data == {"Owner": "Ann"}
    assert again.hash == hashlib.md5(b"{}").hexdigest()
    assert (Path(driver.root) / "c" / "d" / "x.json").read_bytes() == b"{}"  # a plain file


def test_file_changed_behind_our_back_gets_a_fresh_md5(driver: LocalStorageDriver) -> None:
    container = driver.create_container("c")
    driver.upload_object_via_stream([b"original"], container, "f.txt", ex_meta={"k": "v"})
    path = Path(driver.root) / "c" / "f.txt"
    path.write_bytes(b"changed by hand")
    obj = driver.get_object("c", "f.txt")
    assert obj.hash == hashlib.md5(b"changed by hand").hexdigest() and obj.size == 15
    assert obj.meta_data == {}  # the sidecar described another file
    assert b"".join(obj.as_stream()) == b"changed by hand"


def test_files_placed_by_hand_are_objects(driver: LocalStorageDriver) -> None:
    driver.create_container("c")
    (Path(driver.root) / "c" / "photos").mkdir()
    (Path(driver.root) / "c" / "photos" / "cat.jpg").write_bytes(b"\xff\xd8jpeg")
    [obj] = driver.list_container_objects(driver.get_container("c"))
    assert (obj.name, obj.size, obj.extra["content_type"]) == ("photos/cat.jpg", 6, "image/jpeg")


def test_object_and_directory_names_cannot_collide(driver: LocalStorageDriver) -> None:
    container = driver.create_container("c")
    driver.upload_object_via_stream([b"x"], container, "a/b")
    with pytest.raises(InvalidObjectNameError):
        driver.upload_object_via_stream([b"y"], container, "a")
    with pytest.raises(InvalidObjectNameError):
        driver.upload_object_via_stream([b"y"], container, "a/b/c")
    assert [o.name for o in driver.list_container_objects(container)] == ["a/b"]


def test_concurrent_writers_never_mix_content(driver: LocalStorageDriver) -> None:
    container = driver.create_container("c")
    payloads = [bytes([i]) * 300_000 for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        uploads = [pool.submit(driver.upload_object_via_stream, [p[:150_000], p[150_000:]], container, "hot")
                   for p in payloads]
        assert [future.result().size for future in uploads] == [300_000] * 8  # none saw a mixed object
    obj = driver.get_object("c", "hot")
    data = b"".join(obj.as_stream())
    assert data in payloads
    assert obj.hash == hashlib.md5(data).hexdigest()
    assert os.listdir(Path(driver.root) / ".storagekit" / "tmp") == []


def test_failed_upload_leaves_no_temp_file(driver: LocalStorageDriver) -> None:
    container = driver.create_container("c")

    def broken():  # type: ignore[no-untyped-def]
        yield b"partial"
        raise OSError("source vanished")

    with pytest.raises(OSError, match="source vanished"):
        driver.upload_object_via_stream(broken(), container, "x")
    assert os.listdir(Path(driver.root) / ".storagekit" / "tmp") == []
    assert driver.list_container_objects(container) == []


def test_corruption_on_disk_is_detected_on_download(driver: LocalStorageDriver, tmp_path: Path) -> None:
    container = driver.create_container("c")
    obj = driver.upload_object_via_stream([b"a" * 1000], container, "x")
    path = Path(driver.root) / "c" / "x"
    stat = path.stat()
    with open(path, "r+b") as file:  # flip a byte, then restore the mtime: a silent bit rot
        file.write(b"b")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(ObjectHashMismatchError):
        driver.download_object(obj, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["root"]


def test_deleting_the_last_object_prunes_empty_directories(driver: LocalStorageDriver) -> None:
    container = driver.create_container("c")
    obj = driver.upload_object_via_stream([b"x"], container, "deep/er/x")
    obj.delete()
    assert os.listdir(Path(driver.root) / "c") == []
    assert driver.delete_container(container)
