"""storagekit.drivers.sidecars: two records at most, the survivor's kept, names that cannot clash."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from storagekit.drivers.dirfd import DirectoryTree
from storagekit.drivers.sidecars import Sidecars, stamp


@pytest.fixture
def sidecars(tmp_path: Path) -> Sidecars:
    return Sidecars(DirectoryTree(str(tmp_path), fsync=False), (".storagekit", "tmp"), fsync=False)


def record(version: int) -> dict[str, object]:
    return {"file": [version, version, version], "md5": f"{version:032x}", "properties": {}, "meta_data": {}}


def test_a_save_keeps_the_newest_record_and_the_one_keep_chooses(sidecars: Sidecars) -> None:
    sidecars.save("c", "x", record(1), lambda old: True)
    sidecars.save("c", "x", record(2), lambda old: True)
    assert [r["file"] for r in sidecars.records("c", "x")] == [[2, 2, 2], [1, 1, 1]]
    sidecars.save("c", "x", record(3), lambda old: old["file"] == [1, 1, 1])
    assert [r["file"] for r in sidecars.records("c", "x")] == [[3, 3, 3], [1, 1, 1]]
    sidecars.save("c", "x", record(4), lambda old: False)
    assert [r["file"] for r in sidecars.records("c", "x")] == [[4, 4, 4]]


def test_a_record_is_found_by_the_stamp_of_its_file(sidecars: Sidecars, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"data")
    stat_ = os.stat(tmp_path / "f")
    sidecars.save("c", "f", {**record(0), "file": stamp(stat_)}, lambda old: True)
    assert sidecars.record("c", "f", stat_) is not None
    (tmp_path / "f").write_bytes(b"changed")
    assert sidecars.record("c", "f", os.stat(tmp_path / "f")) is None


def test_names_never_share_a_sidecar_and_removal_leaves_the_others(sidecars: Sidecars) -> None:
    names = ["x", "x.json", "x.json/y", "x.json/y.json"]
    for version, name in enumerate(names):
        sidecars.save("c", name, record(version), lambda old: True)
    sidecars.remove("c", "x.json")
    assert [bool(sidecars.records("c", name)) for name in names] == [True, False, True, True]
    sidecars.remove_container("c")
    assert [sidecars.records("c", name) for name in names] == [[], [], [], []]


def test_a_page_of_files_finds_each_its_own_record_in_either_layout(sidecars: Sidecars, tmp_path: Path) -> None:
    files = {}
    for index in range(300):  # more names than <hh> buckets: buckets are shared
        path = tmp_path / f"f{index}"
        path.write_bytes(b"x" * index)
        files[f"d/f{index}"] = os.stat(path)
    for name in list(files)[:200]:
        sidecars.save("c", name, {**record(0), "file": stamp(files[name]), "md5": name}, lambda old: True)
    legacy = tmp_path / ".storagekit" / "meta" / "c" / "d"
    legacy.mkdir(parents=True)
    (legacy / "f250.json").write_text(json.dumps({**record(0), "file": stamp(files["d/f250"]), "md5": "legacy"}))
    (tmp_path / "f0").write_bytes(b"changed behind its back")
    files["d/f0"] = os.stat(tmp_path / "f0")

    found = sidecars.matching("c", list(files.items()))

    assert {name: found[name]["md5"] for name in found} == {
        **{name: name for name in list(files)[1:200]}, "d/f250": "legacy",
    }
    assert sidecars.matching("missing", list(files.items())) == {}


def test_a_draft_that_kept_the_wrong_record_is_written_again_at_commit(sidecars: Sidecars, tmp_path: Path) -> None:
    sidecars.save("c", "x", record(1), lambda old: True)
    sidecars.save("c", "x", record(2), lambda old: True)
    draft = sidecars.draft("c", "x", record(3))  # guesses that version 2 is being replaced
    sidecars.commit(draft, lambda old: old["file"] == [1, 1, 1])  # but version 1 is on disk
    sidecars.discard(draft)
    assert [r["file"] for r in sidecars.records("c", "x")] == [[3, 3, 3], [1, 1, 1]]
    assert os.listdir(tmp_path / ".storagekit" / "tmp") == []


def test_a_discarded_draft_leaves_nothing_and_changes_nothing(sidecars: Sidecars, tmp_path: Path) -> None:
    sidecars.save("c", "x", record(1), lambda old: True)
    sidecars.discard(sidecars.draft("c", "x", record(2)))
    assert [r["file"] for r in sidecars.records("c", "x")] == [[1, 1, 1]]
    assert os.listdir(tmp_path / ".storagekit" / "tmp") == []
