"""Local driver specifics: the root is a boundary, writes are atomic, metadata persists."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from storagekit.drivers.local import LocalStorageDriver
from storagekit.providers import get_driver
from storagekit.types import (
    ContainerDoesNotExistError,
    InvalidContainerNameError,
    InvalidObjectNameError,
    InvalidOptionError,
    ObjectHashMismatchError,
    Provider,
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


# ---------------------------------------------------------------- containment against races and symlinks


def test_directory_swapped_for_a_symlink_mid_upload_cannot_redirect_the_write(
    driver: LocalStorageDriver, tmp_path: Path
) -> None:
    container = driver.create_container("c")
    driver.upload_object_via_stream([b"old"], container, "d/a")
    outside = tmp_path / "outside"
    outside.mkdir()
    directory = Path(driver.root) / "c" / "d"

    def swapping_source() -> Iterator[bytes]:
        yield b"first half "
        directory.rename(directory.with_name("d-old"))
        directory.symlink_to(outside, target_is_directory=True)
        yield b"second half"

    with pytest.raises(InvalidObjectNameError, match="symlink"):
        driver.upload_object_via_stream(swapping_source(), container, "d/planted")
    assert list(outside.iterdir()) == []
    assert os.listdir(Path(driver.root) / ".storagekit" / "tmp") == []
    assert (directory.with_name("d-old") / "a").read_bytes() == b"old"


class SwapBeforeRename(LocalStorageDriver):
    """Swaps the object's directory for a symlink after the driver opened it, just before the rename."""

    outside: Path

    def _publish(self, tmp: int, temp: str, parent: int, leaf: str) -> None:
        directory = Path(self.root) / "c" / "d"
        if directory.is_dir() and not directory.is_symlink():
            directory.rename(directory.with_name("d-old"))
            directory.symlink_to(self.outside, target_is_directory=True)
        super()._publish(tmp, temp, parent, leaf)


def test_a_swap_after_the_directory_was_opened_still_lands_inside(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "outside").mkdir()
    driver = SwapBeforeRename(str(tmp_path / "root"))
    driver.outside = tmp_path / "outside"
    container = driver.create_container("c")
    driver.upload_object_via_stream([b"data"], container, "d/x")  # the rename goes to the held descriptor
    assert list((tmp_path / "outside").iterdir()) == []
    assert (tmp_path / "root" / "c" / "d-old" / "x").read_bytes() == b"data"


def test_an_outward_symlink_is_skipped_in_listings_not_fatal(driver: LocalStorageDriver, tmp_path: Path) -> None:
    container = driver.create_container("c")
    driver.upload_object_via_stream([b"ok"], container, "b/kept.txt")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    base = Path(driver.root) / "c"
    (base / "a-dir-link").symlink_to(outside, target_is_directory=True)
    (base / "a-file-link").symlink_to(outside / "secret.txt")
    (base / "b" / "inner-link").symlink_to(base / "b" / "kept.txt")  # not followed either
    assert [o.name for o in driver.list_container_objects(container)] == ["b/kept.txt"]
    assert [e.name for e in driver.iterate_container_entries(container)] == ["b/"]
    assert driver.list_container_objects(container, prefix="a-dir-link/") == []
    with pytest.raises(InvalidObjectNameError, match="symlink"):
        driver.get_object("c", "a-file-link")


def test_delete_container_never_follows_a_symlink_out_of_the_root(driver: LocalStorageDriver, tmp_path: Path) -> None:
    container = driver.create_container("c")
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "keep.json").write_text("{}")
    (outside / "deep" / "keep.json").write_text("{}")
    state = Path(driver.root) / ".storagekit"
    (state / "meta").mkdir(exist_ok=True)
    (state / "meta" / "c").symlink_to(outside, target_is_directory=True)
    (state / "sidecars" / "c").mkdir(parents=True, exist_ok=True)
    (state / "sidecars" / "c" / "ab").symlink_to(outside, target_is_directory=True)
    assert driver.delete_container(container)
    assert sorted(str(p.relative_to(outside)) for p in outside.rglob("*")) == ["deep", "deep/keep.json", "keep.json"]
    assert not (state / "meta" / "c").is_symlink() and not (state / "sidecars" / "c").exists()


def test_a_symlinked_container_is_no_container(driver: LocalStorageDriver, tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (Path(driver.root) / "link").symlink_to(tmp_path / "outside", target_is_directory=True)
    assert "link" not in [c.name for c in driver.list_containers()]
    with pytest.raises(ContainerDoesNotExistError):
        driver.get_container("link")


# ---------------------------------------------------------------- options and bad input


def test_unknown_constructor_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidOptionError, match="fsynk"):
        get_driver(Provider.LOCAL)(str(tmp_path), fsynk=False)
    assert get_driver(Provider.LOCAL)(str(tmp_path), part_size=1024 * 1024).transfer_config.part_size == 1024 * 1024


def test_option_values_of_the_wrong_type_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidOptionError, match="fsync"):
        LocalStorageDriver(str(tmp_path), fsync="no")  # type: ignore[arg-type]


def test_a_name_component_over_255_bytes_is_a_typed_error(driver: LocalStorageDriver) -> None:
    container = driver.create_container("c")
    for name in ("a" * 256, "dir/" + "é" * 128):
        with pytest.raises(InvalidObjectNameError, match="255"):
            driver.upload_object_via_stream([b"x"], container, name)
        with pytest.raises(InvalidObjectNameError, match="255"):
            driver.get_object("c", name)
    with pytest.raises(InvalidContainerNameError, match="255"):
        driver.create_container("c" * 256)
    driver.upload_object_via_stream([b"x"], container, "a" * 255)  # the longest file name fits


# ---------------------------------------------------------------- sidecars


def test_the_sidecar_of_x_and_the_data_of_x_json_y_never_collide(driver: LocalStorageDriver) -> None:
    container = driver.create_container("c")
    driver.upload_object_via_stream([b"x"], container, "x", ex_meta={"of": "x"})
    driver.upload_object_via_stream([b"y"], container, "x.json/y", ex_meta={"of": "y"})
    driver.upload_object_via_stream([b"z"], container, "x.json/y.json", ex_meta={"of": "z"})
    assert [(o.name, o.meta_data["of"]) for o in driver.list_container_objects(container)] == [
        ("x", "x"), ("x.json/y", "y"), ("x.json/y.json", "z")
    ]


def test_sidecars_of_the_first_layout_are_read_then_migrated(driver: LocalStorageDriver) -> None:
    container = driver.create_container("c")
    path = Path(driver.root) / "c" / "d" / "f.txt"
    path.parent.mkdir()
    path.write_bytes(b"v1")
    stat = path.stat()
    legacy = Path(driver.root) / ".storagekit" / "meta" / "c" / "d" / "f.txt.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(json.dumps({"file": [stat.st_ino, stat.st_size, stat.st_mtime_ns], "md5": "0" * 32,
                                  "properties": {"content_type": "x/legacy"}, "meta_data": {"k": "v"}}))
    obj = driver.get_object("c", "d/f.txt")
    assert (obj.hash, obj.extra["content_type"], obj.meta_data) == ("0" * 32, "x/legacy", {"k": "v"})
    driver.upload_object_via_stream([b"v2"], container, "d/f.txt", ex_meta={"k": "v2"})
    assert not legacy.exists()
    assert LocalStorageDriver(driver.root).get_object("c", "d/f.txt").meta_data == {"k": "v2"}


class KilledBeforeRename(LocalStorageDriver):
    """Dies (as far as the object is concerned) after the sidecar is written, before the data rename."""

    def _publish(self, tmp: int, temp: str, parent: int, leaf: str) -> None:
        if leaf == "f.txt":
            raise KeyboardInterrupt("killed between the sidecar write and the rename")
        super()._publish(tmp, temp, parent, leaf)


def test_a_crash_before_the_rename_keeps_the_surviving_versions_metadata(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    root = str(tmp_path / "root")
    LocalStorageDriver(root).upload_object_via_stream(
        [b"old"], LocalStorageDriver(root).create_container("c"), "f.txt",
        extra={"content_type": "x/old"}, ex_meta={"v": "old"},
    )
    with pytest.raises(KeyboardInterrupt):
        KilledBeforeRename(root).upload_object_via_stream([b"new"], "c", "f.txt",  # type: ignore[arg-type]
                                                          extra={"content_type": "x/new"}, ex_meta={"v": "new"})
    obj = LocalStorageDriver(root).get_object("c", "f.txt")
    assert b"".join(obj.as_stream()) == b"old"
    assert (obj.extra["content_type"], obj.meta_data) == ("x/old", {"v": "old"})
    assert obj.hash == hashlib.md5(b"old").hexdigest()


def test_temp_files_older_than_the_safe_age_are_removed_by_the_next_write(driver: LocalStorageDriver) -> None:
    tmp = Path(driver.root) / ".storagekit" / "tmp"
    stale, fresh = tmp / "left-by-a-killed-upload", tmp / "still-being-written"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"partial")
    hour_and_a_bit = time.time() - LocalStorageDriver.stale_temp_age - 60
    os.utime(stale, (hour_and_a_bit, hour_and_a_bit))
    driver.upload_object_via_stream([b"x"], driver.create_container("c"), "x")
    assert sorted(p.name for p in tmp.iterdir()) == ["still-being-written"]


# ---------------------------------------------------------------- hashing: once per upload, never in a listing


class CountingMd5:
    """Counts the bytes fed to every MD5 made through hashlib while installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bytes = 0
        real_md5, real_new = hashlib.md5, hashlib.new
        counter = self

        class Counted:
            def __init__(self, inner: Any) -> None:
                self._inner = inner

            def update(self, data: bytes) -> None:
                counter.bytes += len(data)
                self._inner.update(data)

            def __getattr__(self, name: str) -> Any:
                return getattr(self._inner, name)

        monkeypatch.setattr(hashlib, "md5", lambda *a, **k: Counted(real_md5(*a, **k)))
        monkeypatch.setattr(hashlib, "new", lambda name, *a, **k: (
            Counted(real_new(name, *a, **k)) if name == "md5" else real_new(name, *a, **k)))

    def take(self) -> int:
        counted, self.bytes = self.bytes, 0
        return counted


def test_an_upload_hashes_its_bytes_once(driver: LocalStorageDriver, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    container = driver.create_container("c")
    source = tmp_path / "source"
    source.write_bytes(os.urandom(3 * 1024 * 1024))
    md5 = CountingMd5(monkeypatch)
    obj = driver.upload_object(str(source), container, "from-file")
    assert md5.take() == 3 * 1024 * 1024
    driver.upload_object_via_stream([b"a" * 1000, b"b" * 1000], container, "from-stream")
    assert md5.take() == 2000
    assert obj.hash == hashlib.md5(source.read_bytes()).hexdigest()


def test_listings_never_hash_and_a_digest_is_computed_once_then_kept(
    driver: LocalStorageDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = driver.create_container("c")
    data = os.urandom(1024 * 1024)
    (Path(driver.root) / "c" / "placed-by-hand").write_bytes(data)
    md5 = CountingMd5(monkeypatch)
    [listed] = driver.list_container_objects(container)
    assert listed.size == len(data) and md5.take() == 0
    assert listed.hash == hashlib.md5(data).hexdigest() and md5.take() == len(data)  # asked for: computed
    assert listed.checksums == {"md5": listed.hash} and md5.take() == 0
    again = LocalStorageDriver(driver.root)
    [relisted] = again.list_container_objects(container)
    assert relisted.extra["etag"] == relisted.hash == listed.hash  # saved in the sidecar
    assert again.get_object("c", "placed-by-hand").hash == listed.hash
    assert md5.take() == 0


def test_get_object_computes_a_missing_digest_and_saves_it(driver: LocalStorageDriver,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    driver.create_container("c")
    (Path(driver.root) / "c" / "f").write_bytes(b"hand made")
    md5 = CountingMd5(monkeypatch)
    obj = driver.get_object("c", "f")
    assert obj.extra["etag"] == obj.hash == hashlib.md5(b"hand made").hexdigest()
    assert md5.take() == len(b"hand made")
    driver.get_object("c", "f")
    assert md5.take() == 0


def test_a_verified_download_of_a_listed_file_computes_and_keeps_its_digest(
    driver: LocalStorageDriver, tmp_path: Path
) -> None:
    container = driver.create_container("c")
    (Path(driver.root) / "c" / "placed").write_bytes(b"by hand")
    [listed] = driver.list_container_objects(container)
    assert "etag" not in listed.extra  # unknown until asked for
    driver.download_object(listed, str(tmp_path / "out"))
    assert (tmp_path / "out").read_bytes() == b"by hand"
    [relisted] = LocalStorageDriver(driver.root).list_container_objects(container)
    assert relisted.extra["etag"] == hashlib.md5(b"by hand").hexdigest()


def test_libclouds_time_keys_are_floats_beside_storagekits(tmp_path: Path) -> None:
    driver = get_driver(Provider.LOCAL)(str(tmp_path))
    created = driver.create_container("times")
    obj = created.upload_object_via_stream([b"x"], "t.txt")
    stat_ = (tmp_path / "times" / "t.txt").stat()
    for extra in (obj.extra, driver.get_object("times", "t.txt").extra, next(iter(created.list_objects())).extra):
        assert extra["modify_time"] == stat_.st_mtime and extra["access_time"] == stat_.st_atime
        assert isinstance(extra["creation_time"], float) and "last_modified" in extra
    for container in (created, driver.get_container("times"), *driver.list_containers()):
        assert {type(container.extra[key]) for key in ("creation_time", "modify_time", "access_time")} == {float}
