"""What reaches the disk, and in which order: the file before its rename, its directory after.

A crash cannot be staged without a real power cut, so these tests watch the system calls instead:
``os.fsync`` and ``os.replace`` / ``os.link`` are wrapped (and still performed) to log which inode
was flushed and when the rename happened.
"""

from __future__ import annotations

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
