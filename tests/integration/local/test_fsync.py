"""What reaches the disk, and in which order: the file before its rename, its directory after.

A crash cannot be staged without a real power cut, so these tests watch the system calls instead:
``os.fsync`` and ``os.replace`` / ``os.link`` are wrapped (and still performed) to log which inode
was flushed and when the rename happened.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from storagekit.drivers.local import LocalStorageDriver


class SyscallLog:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.events: list[tuple[str, int]] = []
        real_fsync, real_replace, real_link = os.fsync, os.replace, os.link

        def fsync(fd: int) -> None:
            self.events.append(("fsync", os.fstat(fd).st_ino))
            real_fsync(fd)

        def renaming(real: Any) -> Any:
            def rename(*args: Any, **kwargs: Any) -> None:
                real(*args, **kwargs)
                self.events.append(("rename", 0))
            return rename

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", renaming(real_replace))
        monkeypatch.setattr(os, "link", renaming(real_link))

    def before_and_after_a_rename(self, file: Path, directory: Path) -> bool:
        """True if ``file``'s inode was flushed before some rename and ``directory`` after it."""
        file_ino, dir_ino = file.stat().st_ino, directory.stat().st_ino
        for index, event in enumerate(self.events):
            if event == ("rename", 0):
                flushed_before = ("fsync", file_ino) in self.events[:index]
                if flushed_before and ("fsync", dir_ino) in self.events[index:]:
                    return True
        return False


@pytest.fixture
def driver(tmp_path: Path) -> LocalStorageDriver:
    (tmp_path / "root").mkdir()
    return LocalStorageDriver(str(tmp_path / "root"))


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_download_is_flushed_before_its_rename_and_its_directory_after(
    driver: LocalStorageDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overwrite: bool
) -> None:
    obj = driver.upload_object_via_stream([b"payload"], driver.create_container("c"), "x")
    destination = tmp_path / "out" / "x.bin"
    destination.parent.mkdir()
    if overwrite:
        destination.write_bytes(b"previous")
    log = SyscallLog(monkeypatch)
    driver.download_object(obj, str(destination), overwrite_existing=overwrite)
    assert destination.read_bytes() == b"payload"
    assert log.before_and_after_a_rename(destination, destination.parent), log.events


def test_a_local_upload_is_flushed_before_its_rename_and_its_directory_after(
    driver: LocalStorageDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = driver.create_container("c")
    log = SyscallLog(monkeypatch)
    driver.upload_object_via_stream([b"payload"], container, "new/dir/x")
    path = Path(driver.root) / "c" / "new" / "dir" / "x"
    assert log.before_and_after_a_rename(path, path.parent), log.events
    flushed = {ino for kind, ino in log.events if kind == "fsync"}
    assert {(Path(driver.root) / "c").stat().st_ino, (Path(driver.root) / "c" / "new").stat().st_ino} <= flushed


def test_fsync_false_skips_the_flushes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    driver = LocalStorageDriver(str(tmp_path), fsync=False)
    log = SyscallLog(monkeypatch)
    driver.upload_object_via_stream([b"payload"], driver.create_container("c"), "x")
    assert [kind for kind, _ in log.events if kind == "fsync"] == []


def test_an_upload_flushes_only_the_sidecars_directory_under_the_commit_lock(
    driver: LocalStorageDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data, the sidecar and the object's directory are flushed while other uploads may publish."""
    container = driver.create_container("c")
    driver.upload_object_via_stream([b"old"], container, "d/x")  # the directories exist: no mkdir flushes
    locked: list[tuple[bool, int]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        locked.append((driver._thread_lock.locked(), os.fstat(fd).st_ino))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    driver.upload_object_via_stream([b"new"], container, "d/x")
    under_lock = [ino for held, ino in locked if held]
    assert len(locked) == 4 and len(under_lock) == 1, locked
    sidecars = Path(driver.root) / ".storagekit" / "sidecars" / "c"
    assert under_lock[0] in {path.stat().st_ino for path in sidecars.iterdir()}
    assert (False, (Path(driver.root) / "c" / "d").stat().st_ino) in locked
    assert driver.get_object("c", "d/x").hash == hashlib.md5(b"new").hexdigest()
