"""The sync engine on the local and memory drivers: safety first, nothing dropped silently."""

from __future__ import annotations

import builtins
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from storagekit.manifest import DATASET_FILE
from storagekit.sync import SyncInterrupted, SyncProgress, sync
from storagekit.types import (
    ContainerDoesNotExistError,
    InvalidOptionError,
    SourceNotFoundError,
    SyncRefusedError,
)
from storagekit.urls import Location, open_url, shared_memory_driver


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    (source / "photos").mkdir(parents=True)
    (source / "photos" / "cat.jpg").write_bytes(b"cat" * 100)
    (source / "photos" / "dog.png").write_bytes(b"dog" * 200)
    (source / "notes.txt").write_text("remember the milk\n")
    return source


@pytest.fixture
def bucket() -> Iterator[str]:
    name = f"t{uuid.uuid4().hex[:10]}"
    shared_memory_driver().create_container(name)
    yield f"memory://{name}"


def listing(url: str) -> dict[str, bytes]:
    location = open_url(url)
    prefix = location.key if location.is_prefix or not location.key else location.key + "/"
    return {obj.name[len(prefix):]: b"".join(obj.as_stream())
            for obj in location.driver.iterate_container_objects(location.container, prefix=prefix or None)}


def test_copies_then_finds_everything_unchanged(tree: Path, bucket: str) -> None:
    report = sync(str(tree), f"{bucket}/backup")
    assert report.copied == ["notes.txt", "photos/cat.jpg", "photos/dog.png"] and report.ok
    again = sync(str(tree), f"{bucket}/backup")
    assert again.copied == [] and again.unchanged == 3 and again.skipped == {}


@pytest.mark.parametrize("source", ["missing", "notes.txt", "s4://bucket/x", "gs:/bucket/x"])
def test_a_missing_source_changes_nothing(tree: Path, bucket: str, source: str) -> None:
    sync(str(tree), f"{bucket}/backup")
    before = listing(f"{bucket}/backup")
    path = source if ":/" in source else str(tree / source)
    with pytest.raises((SourceNotFoundError, InvalidOptionError)) as caught:
        sync(path, f"{bucket}/backup", delete=True)
    assert ("does not exist" in str(caught.value) or "is a file" in str(caught.value)
            or "known schemes" in str(caught.value))
    assert listing(f"{bucket}/backup") == before


def test_a_prefix_without_objects_or_a_missing_container_is_not_an_empty_source(tree: Path, bucket: str,
                                                                               tmp_path: Path) -> None:
    sync(str(tree), f"{bucket}/backup")
    restored = tmp_path / "restored"
    sync(f"{bucket}/backup", str(restored))
    before = sorted(p.name for p in restored.rglob("*"))
    with pytest.raises(SourceNotFoundError, match="no objects under"):
        sync(f"{bucket}/backup-typo", str(restored), delete=True)
    with pytest.raises(SourceNotFoundError, match="is an object, not a directory"):
        sync(f"{bucket}/backup/notes.txt", str(restored), delete=True)
    with pytest.raises(ContainerDoesNotExistError):
        sync("memory://no-such-container-here/backup", str(restored), delete=True)
    assert sorted(p.name for p in restored.rglob("*")) == before


def test_a_missing_destination_container_needs_create(tree: Path) -> None:
    name = f"t{uuid.uuid4().hex[:10]}"
    with pytest.raises(ContainerDoesNotExistError, match="--create"):
        sync(str(tree), f"memory://{name}/x")
    assert name not in [c.name for c in shared_memory_driver().iterate_containers()]
    assert len(sync(str(tree), f"memory://{name}/x", create=True).copied) == 3


def test_delete_refuses_to_empty_the_destination_from_an_empty_source(tree: Path, bucket: str,
                                                                      tmp_path: Path) -> None:
    sync(str(tree), f"{bucket}/backup")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SyncRefusedError, match="allow-empty-source"):
        sync(str(empty), f"{bucket}/backup", delete=True)
    assert sync(str(tree), f"{bucket}/backup", delete=True, exclude=["*"]).deleted == []  # excluded: kept
    assert len(listing(f"{bucket}/backup")) == 3
    report = sync(str(empty), f"{bucket}/backup", delete=True, allow_empty_source=True)
    assert sorted(report.deleted) == ["notes.txt", "photos/cat.jpg", "photos/dog.png"]
    assert listing(f"{bucket}/backup") == {}


def test_max_delete_refuses_before_copying_anything(tree: Path, bucket: str) -> None:
    sync(str(tree), f"{bucket}/backup")
    (tree / "photos" / "cat.jpg").unlink()
    (tree / "photos" / "dog.png").unlink()
    (tree / "new.txt").write_text("new")
    with pytest.raises(SyncRefusedError, match="max-delete 1"):
        sync(str(tree), f"{bucket}/backup", delete=True, max_delete=1)
    assert sorted(listing(f"{bucket}/backup")) == ["notes.txt", "photos/cat.jpg", "photos/dog.png"]
    report = sync(str(tree), f"{bucket}/backup", delete=True, max_delete=2)
    assert report.copied == ["new.txt"] and sorted(report.deleted) == ["photos/cat.jpg", "photos/dog.png"]


def test_dry_run_says_what_would_happen_and_changes_nothing(tree: Path, bucket: str) -> None:
    sync(str(tree), f"{bucket}/backup")
    (tree / "notes.txt").unlink()
    (tree / "new.txt").write_text("new")
    before = listing(f"{bucket}/backup")
    report = sync(str(tree), f"{bucket}/backup", delete=True, dry_run=True)
    assert report.would and report.copied == ["new.txt"] and report.deleted == ["notes.txt"]
    assert report.bytes_copied == 3 and listing(f"{bucket}/backup") == before


def test_a_run_with_a_failure_deletes_nothing(tree: Path, bucket: str) -> None:
    sync(str(tree), f"{bucket}/backup")
    (tree / "notes.txt").unlink()
    (tree / "a-first.txt").write_text("first")
    (tree / "z-last.txt").write_text("last")

    def vanish(state: SyncProgress) -> None:  # the last file disappears while the first is copied
        if (tree / "z-last.txt").exists():
            (tree / "z-last.txt").unlink()

    report = sync(str(tree), f"{bucket}/backup", delete=True, jobs=1, progress=vanish)
    assert report.copied == ["a-first.txt"] and list(report.errors) == ["z-last.txt"]
    assert report.deleted == [] and "failures" in report.deletes_withheld
    assert "notes.txt" in listing(f"{bucket}/backup")


def test_a_prefix_is_a_directory_never_a_raw_prefix(tree: Path, bucket: str) -> None:
    driver = shared_memory_driver()
    container = driver.get_container(bucket.removeprefix("memory://"))
    driver.upload_object_via_stream([b"keep"], container, "photos-2023/keep.jpg")
    report = sync(str(tree / "photos"), f"{bucket}/photos", delete=True)
    assert report.copied == ["cat.jpg", "dog.png"]
    assert sorted(listing(bucket)) == ["photos-2023/keep.jpg", "photos/cat.jpg", "photos/dog.png"]


def test_every_file_left_out_is_reported(tree: Path, bucket: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "linked.txt").write_text("through a link")
    (tree / "link-dir").symlink_to(outside)
    (tree / "dangling").symlink_to(tmp_path / "nowhere")
    (tree / "photos" / "loop").symlink_to(tree)
    os.mkfifo(tree / "fifo")
    (tree / ".cat.jpg.0123456789ab.part").write_bytes(b"unfinished download")
    (tree / "my.part").write_bytes(b"a user's own .part file")
    (tree / DATASET_FILE).write_text("{}")
    (tree / "skip.tmp").write_text("excluded")
    undecodable = os.fsdecode(b"caf\xe9.txt")
    (tree / undecodable).write_text("latin-1 name")
    report = sync(str(tree), f"{bucket}/backup", exclude=["*.tmp"])
    assert report.copied == ["my.part", "notes.txt", "photos/cat.jpg", "photos/dog.png"]
    reasons = report.skipped
    assert "not followed" in reasons["link-dir"] and "not followed" in reasons["dangling"]
    assert "not followed" in reasons["photos/loop"] and "special file" in reasons["fifo"]
    assert "temp file" in reasons[".cat.jpg.0123456789ab.part"] and "manifest" in reasons[DATASET_FILE]
    assert "excluded by filter '- *.tmp'" in reasons["skip.tmp"] and "UTF-8" in reasons[undecodable]
    assert report.to_dict()["counts"]["skipped"] == len(reasons) == 8

    followed = sync(str(tree), f"{bucket}/followed", exclude=["*.tmp"], follow_symlinks=True)
    assert "link-dir/linked.txt" in followed.copied and "symlink loop" in followed.skipped["photos/loop/"]
    assert "dangling" in followed.skipped["dangling"]


def test_names_left_out_are_never_deleted(tree: Path, bucket: str) -> None:
    sync(str(tree), f"{bucket}/backup")
    driver = shared_memory_driver()
    container = driver.get_container(bucket.removeprefix("memory://"))
    driver.upload_object_via_stream([b"{}"], container, f"backup/{DATASET_FILE}")
    driver.upload_object_via_stream([b"old"], container, "backup/old.tmp")
    report = sync(str(tree), f"{bucket}/backup", delete=True, exclude=["*.tmp"])
    assert report.deleted == [] and sorted(listing(f"{bucket}/backup")) == [
        DATASET_FILE, "notes.txt", "old.tmp", "photos/cat.jpg", "photos/dog.png"]


def test_a_restore_refuses_names_that_escape_and_skips_folder_markers(bucket: str, tmp_path: Path) -> None:
    driver = shared_memory_driver()
    container = driver.get_container(bucket.removeprefix("memory://"))
    for name, data in (("b/../../evil.txt", b"evil"), ("b/ok.txt", b"ok"), ("b/dir/", b""), ("b//x", b"x")):
        driver.upload_object_via_stream([data], container, name)
    restored = tmp_path / "deep" / "restored"
    report = sync(f"{bucket}/b", str(restored))
    assert report.copied == ["ok.txt"] and report.ok
    assert "'..' segment" in report.skipped["../../evil.txt"] and "folder marker" in report.skipped["dir/"]
    assert "absolute name" in report.skipped["/x"]
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "deep" / "evil.txt").exists()


def test_mtime_and_mode_survive_a_round_trip(tree: Path, bucket: str, tmp_path: Path) -> None:
    os.chmod(tree / "notes.txt", 0o640)
    os.utime(tree / "notes.txt", ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    sync(str(tree), f"{bucket}/backup")
    meta = shared_memory_driver().get_object(bucket.removeprefix("memory://"), "backup/notes.txt").meta_data
    assert meta["mtime"] == "1600000000.123456789" and meta["mode"] == "100640" and len(meta["storagekit_md5"]) == 32
    restored = tmp_path / "restored"
    sync(f"{bucket}/backup", str(restored))
    info = os.stat(restored / "notes.txt")
    assert info.st_mtime_ns == 1_600_000_000_123_456_789 and info.st_mode & 0o777 == 0o640
    assert sync(f"{bucket}/backup", str(restored)).unchanged == 3


def test_quick_check_notices_a_changed_mtime_and_modes_compare_as_asked(tree: Path, bucket: str) -> None:
    sync(str(tree), f"{bucket}/backup")
    stamp = os.stat(tree / "notes.txt").st_mtime_ns
    (tree / "notes.txt").write_text("remember the eggs\n")  # same size
    os.utime(tree / "notes.txt", ns=(stamp, stamp))
    assert sync(str(tree), f"{bucket}/backup").copied == []  # same size and mtime: the quick check's blind spot
    assert sync(str(tree), f"{bucket}/backup", compare="size").copied == []
    assert sync(str(tree), f"{bucket}/backup", compare="checksum").copied == ["notes.txt"]
    os.utime(tree / "photos" / "cat.jpg", ns=(stamp + 1, stamp + 1))
    assert sync(str(tree), f"{bucket}/backup").copied == ["photos/cat.jpg"]
    with pytest.raises(InvalidOptionError, match="compare"):
        sync(str(tree), f"{bucket}/backup", compare="mtime")


class _Reads:
    """Counts files opened for reading under a directory (wraps ``open``, changes nothing)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
        self.count = 0
        real: Callable[..., Any] = builtins.open

        def counting(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, (str, os.PathLike)) and os.fspath(file).startswith(str(root)) and "r" in mode:
                self.count += 1
            return real(file, mode, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", counting)


def test_a_second_sync_of_5000_unchanged_files_reads_no_content(tmp_path: Path, bucket: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "many"
    for index in range(5000):
        folder = source / f"d{index % 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:04d}").write_bytes(b"%d" % index)
    store = tmp_path / "store"
    first = sync(str(source), "local://many/backup", local_root=str(store), create=True, jobs=8)
    assert len(first.copied) == 5000
    reads = _Reads(monkeypatch, source)
    second = sync(str(source), "local://many/backup", local_root=str(store), jobs=8)
    assert second.copied == [] and second.unchanged == 5000 and reads.count == 0
    restored = tmp_path / "restored"
    sync("local://many/backup", str(restored), local_root=str(store), jobs=8)
    opened = _Reads(monkeypatch, store / "many")  # the objects' files, not the driver's metadata
    again = sync("local://many/backup", str(restored), local_root=str(store), jobs=8)
    assert again.unchanged == 5000 and opened.count == 0


def test_progress_moves_during_one_large_file_and_while_hashing(tmp_path: Path) -> None:
    source = tmp_path / "big"
    source.mkdir()
    size = 24 * 1024 * 1024
    (source / "large.bin").write_bytes(os.urandom(size))
    location = open_url("local://big/x", local_root=str(tmp_path / "store"))
    location.driver.transfer_config = location.driver.transfer_config.merged(part_size=1024 * 1024)
    location.driver.create_container("big")
    seen: list[SyncProgress] = []
    sync(str(source), location, progress=seen.append)
    midway = [s.bytes_done for s in seen if s.files_done == 0 and 0 < s.bytes_done < size]
    assert len(midway) >= 10 and midway == sorted(midway)
    hashing = [s.hashed for s in seen if s.bytes_done == 0]
    assert hashing[-1] == size and len(hashing) >= 10
    assert seen[-1].files_done == 1 and seen[-1].bytes_done == size == seen[-1].bytes_total

    seen.clear()
    sync(location, str(tmp_path / "back"), progress=seen.append)  # and downloading
    assert len([s for s in seen if s.files_done == 0 and 0 < s.bytes_done < size]) >= 2


def test_ctrl_c_lets_transfers_finish_and_deletes_nothing(tree: Path, bucket: str) -> None:
    sync(str(tree), f"{bucket}/backup")
    (tree / "notes.txt").unlink()
    for index in range(20):
        (tree / f"new{index:02d}.txt").write_text("x" * index)
    main = threading.main_thread().ident
    sent: list[bool] = []

    def interrupt(state: SyncProgress) -> None:  # Ctrl-C while a worker is moving the third file's bytes
        if not sent and state.current == "new02.txt" and threading.current_thread() is not threading.main_thread():
            sent.append(True)
            signal.pthread_kill(main, signal.SIGINT)  # type: ignore[arg-type]
            time.sleep(0.5)  # hold this worker so the main thread takes the signal before the next file

    with pytest.raises(SyncInterrupted) as caught:
        sync(str(tree), f"{bucket}/backup", delete=True, jobs=1, progress=interrupt)
    report = caught.value.report
    assert report.interrupted and {"new00.txt", "new01.txt", "new02.txt"} <= set(report.copied)
    assert len(report.copied) < 20 and report.deleted == []
    assert "notes.txt" in listing(f"{bucket}/backup")
    assert set(report.copied) <= set(listing(f"{bucket}/backup"))


def test_a_location_object_works_as_either_end(tree: Path, bucket: str) -> None:
    location = open_url(f"{bucket}/loc")
    assert isinstance(location, Location) and len(sync(str(tree), location).copied) == 3


def test_a_name_the_store_cannot_hold_is_skipped_with_the_reason(tree: Path, bucket: str) -> None:
    deep = tree.joinpath(*["d" * 200] * 6)
    deep.mkdir(parents=True)
    (deep / "far.txt").write_text("too long a name for any object store")
    report = sync(str(tree), f"{bucket}/backup")
    assert len(report.copied) == 3 and len(report.skipped) == 1
    assert "cannot store this name" in next(iter(report.skipped.values()))


def test_store_to_store_across_drivers_keeps_the_recorded_mtime(tree: Path, bucket: str, tmp_path: Path) -> None:
    os.utime(tree / "notes.txt", ns=(1_600_000_000_000_000_007, 1_600_000_000_000_000_007))
    sync(str(tree), f"{bucket}/backup")
    seen: list[SyncProgress] = []
    report = sync(f"{bucket}/backup", "local://copy/backup", local_root=str(tmp_path / "s"), create=True,
                  progress=seen.append)
    assert len(report.copied) == 3 and seen[-1].bytes_done == seen[-1].bytes_total > 0
    restored = tmp_path / "restored"
    sync("local://copy/backup", str(restored), local_root=str(tmp_path / "s"))
    assert os.stat(restored / "notes.txt").st_mtime_ns == 1_600_000_000_000_000_007
