"""The distributed sync keeps the local sync's rules on a 3-process LocalCluster, with local stores:
deletes refused or withheld as locally, dry runs change nothing, verify names every difference,
progress reaches every shard, and a run without a Dask client says how to get one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import storagekit.distributed
from storagekit.sync import SyncProgress
from storagekit.types import InvalidOptionError, SyncRefusedError
from storagekit.urls import open_url

DESTINATION = "local://backup/data"


def _tree(root: Path, names: list[str]) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"content of {name}".encode())
    return root


def _stored(store: Path) -> dict[str, bytes]:
    location = open_url(DESTINATION, local_root=str(store))
    driver = location.driver
    return {obj.name[len("data/"):]: b"".join(driver.download_object_as_stream(obj))
            for obj in driver.iterate_container_objects(location.container, prefix="data/")}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A destination holding a.txt, b/c.txt and three names the source will not have."""
    _tree(tmp_path / "seed", ["a.txt", "b/c.txt", "old/1", "old/2", "old/3"])
    report = storagekit.distributed.sync(str(tmp_path / "seed"), DESTINATION, create=True, progress=False,
                                         local_root=str(tmp_path / "store"))
    assert len(report.copied) == 5
    return tmp_path / "store"


def _run(source: Path, store: Path, **options: Any) -> Any:
    """Compared by size and MD5: the source's files are newer than the seed's, with the same bytes."""
    return storagekit.distributed.sync(str(source), DESTINATION, progress=False, shard_size=2, compare="checksum",
                                       local_root=str(store), **options)


def test_delete_removes_only_what_the_source_lacks_after_every_copy(
        dask_client: Any, store: Path, tmp_path: Path) -> None:
    source = _tree(tmp_path / "source", ["a.txt", "b/c.txt", "new/1", "new/2"])
    before = _stored(store)
    planned = _run(source, store, delete=True, dry_run=True)
    assert (planned.copied, planned.deleted, planned.in_sync) == (["new/1", "new/2"], ["old/1", "old/2", "old/3"],
                                                                  ["a.txt", "b/c.txt"])
    assert _stored(store) == before  # a dry run changes nothing
    with pytest.raises(SyncRefusedError, match="more than --max-delete 2"):
        _run(source, store, delete=True, max_delete=2)
    assert _stored(store) == before  # refused before any copy
    report = _run(source, store, delete=True, max_delete=3)
    assert (report.copied, report.deleted, report.errors) == (["new/1", "new/2"], ["old/1", "old/2", "old/3"], {})
    assert sorted(_stored(store)) == ["a.txt", "b/c.txt", "new/1", "new/2"]


def test_an_empty_source_cannot_empty_the_destination(dask_client: Any, store: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    before = _stored(store)
    with pytest.raises(SyncRefusedError, match="the source has nothing to sync"):
        _run(empty, store, delete=True)
    assert _stored(store) == before
    report = _run(empty, store, delete=True, allow_empty_source=True)
    assert len(report.deleted) == 5 and _stored(store) == {}


def test_a_failed_copy_withholds_every_delete(dask_client: Any, store: Path, tmp_path: Path) -> None:
    source = _tree(tmp_path / "source", ["a.txt", "fine.txt"])
    (store / "backup" / "data" / "fine.txt").mkdir()  # a directory where the copy must write a file: it fails
    report = _run(source, store, delete=True)
    assert list(report.errors) == ["fine.txt"] and report.deleted == []
    assert report.deletes_withheld == "nothing deleted: the run had failures"
    assert {"b/c.txt", "old/1", "old/2", "old/3"} <= set(_stored(store))


def test_verify_names_every_difference(dask_client: Any, store: Path, tmp_path: Path) -> None:
    source = _tree(tmp_path / "source", ["a.txt", "b/c.txt", "old/1", "old/2", "missing"])
    (source / "old" / "2").write_bytes(b"changed, same length..")
    report = storagekit.distributed.verify(str(source), DESTINATION, progress=False, exact=True, shard_size=2,
                                           local_root=str(store))
    assert report.errors == {"missing": "missing at the destination",
                             "old/2": "differs from the source (size or MD5)",
                             "old/3": "only at the destination"}
    assert report.in_sync == ["a.txt", "b/c.txt", "old/1"] and report.dry_run and not report.ok


def test_progress_reaches_every_listed_object(dask_client: Any, tmp_path: Path) -> None:
    source = _tree(tmp_path / "source", [f"f{index:02d}" for index in range(25)])
    seen: list[SyncProgress] = []
    storagekit.distributed.sync(str(source), DESTINATION, progress=seen.append, create=True, shard_size=4,
                                local_root=str(tmp_path / "store"))
    assert len(seen) == 7 and [state.files_done for state in seen] == sorted(state.files_done for state in seen)
    assert (seen[-1].files_done, seen[-1].files_total) == (25, 25)
    assert seen[-1].bytes_done == seen[-1].bytes_total == sum(path.stat().st_size for path in source.iterdir())


def test_copy_never_deletes() -> None:
    with pytest.raises(InvalidOptionError, match="copy never deletes"):
        storagekit.distributed.copy("/tmp", DESTINATION, delete=True)


def test_without_a_dask_client_the_error_says_how_to_get_one(tmp_path: Path) -> None:
    code = ("import storagekit.distributed as d\n"
            f"d.sync({str(tmp_path)!r}, 'local://b/c', local_root={str(tmp_path)!r})\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 1
    assert "InvalidOptionError: no Dask client: pass client=, or create one first" in result.stderr
