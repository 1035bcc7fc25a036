"""Datasets and manifests on the local and memory stores."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from storagekit.manifest import DATASET_FILE, Dataset, Manifest
from storagekit.types import ObjectHashMismatchError
from storagekit.urls import open_url


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    root = tmp_path / "survey"
    (root / "images").mkdir(parents=True)
    (root / "images" / "a.png").write_bytes(os.urandom(4000))
    (root / "readings.csv").write_text("t,v\n1,2\n")
    return root


def test_dataset_round_trip_with_labels_and_tags(survey: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    dataset = Dataset.from_directory(str(survey), labels={"raw"}, tags={"site": "north"})
    assert [f.name for f in dataset.files] == ["images/a.png", "readings.csv"]
    csv = dataset.files[1]
    assert csv.md5 == hashlib.md5(b"t,v\n1,2\n").hexdigest() and csv.content_type == "text/csv"
    stored = dataset.to_cloud("local://research/survey/", local_root=store)
    assert stored.location == "local://research/survey/"
    again = Dataset.from_cloud("local://research/survey/", local_root=store)
    assert (again.name, again.labels, again.tags) == ("survey", {"raw"}, {"site": "north"})
    assert again.files == dataset.files
    assert again.verify(local_root=store) == []
    copy = again.download(str(tmp_path / "copy"), local_root=store)
    assert (tmp_path / "copy" / "images" / "a.png").read_bytes() == (survey / "images" / "a.png").read_bytes()
    assert json.loads((tmp_path / "copy" / DATASET_FILE).read_text())["tags"] == {"site": "north"}
    assert copy.verify() == []


def test_verify_names_the_file_changed_behind_its_back(survey: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    Dataset.from_directory(str(survey)).to_cloud("local://research/s/", local_root=str(store))
    target = store / "research" / "s" / "readings.csv"
    stat = target.stat()
    target.write_bytes(b"t,v\n1,3\n")  # same size, one byte changed, mtime restored: silent rot
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    problems = Dataset.from_cloud("local://research/s/", local_root=str(store)).verify(local_root=str(store))
    assert len(problems) == 1 and problems[0].startswith("readings.csv")


def test_a_file_changed_since_it_was_described_is_not_uploaded(survey: Path, tmp_path: Path) -> None:
    dataset = Dataset.from_directory(str(survey))
    (survey / "readings.csv").write_text("t,v\n9,9\n")
    with pytest.raises(ObjectHashMismatchError, match=r"readings\.csv"):
        dataset.to_cloud("local://research/x/", local_root=str(tmp_path / "store"))


def test_download_refuses_corrupt_objects(survey: Path, tmp_path: Path) -> None:
    dataset = Dataset.from_directory(str(survey)).to_cloud("memory://manifests/d1/")
    location = open_url("memory://manifests/d1/readings.csv")
    location.driver.upload_object_via_stream([b"tampered"], location.container, location.key)
    with pytest.raises(ObjectHashMismatchError, match=r"readings\.csv"):
        dataset.download(str(tmp_path / "out"))
    assert not (tmp_path / "out" / "readings.csv").exists()


def test_manifest_references_datasets_anywhere(survey: Path, tmp_path: Path) -> None:
    remote = Dataset.from_directory(str(survey), name="remote").to_cloud("memory://elsewhere/remote/")
    local = Dataset.from_directory(str(survey), name="local")
    Manifest({"remote": remote, "local": local}).to_cloud("memory://runs/7/")
    loaded = Manifest.from_cloud("memory://runs/7/")
    assert loaded.datasets["remote"].location == "memory://elsewhere/remote/"  # type: ignore[union-attr]
    assert loaded.datasets["local"].location == "memory://runs/7/datasets/local/"  # type: ignore[union-attr]
    Manifest({"local": local}).to_cloud("memory://runs/8/", store_datasets=False)
    kept = json.loads(b"".join(open_url("memory://runs/8/.storagekit-manifest.json").driver.get_object(
        "runs", "8/.storagekit-manifest.json").as_stream()))
    assert kept["datasets"]["local"]["location"] == str(survey)


def test_download_refuses_names_that_escape_and_says_why(tmp_path: Path) -> None:
    location = open_url("memory://planted/set/")
    location.driver.create_container("planted")
    container = location.driver.get_container("planted")
    for name, data in (("set/../../planted.txt", b"evil"), ("set/ok.txt", b"ok")):
        location.driver.upload_object_via_stream([data], container, name)
    manifest = {"name": "set", "labels": [], "tags": {}, "files": [
        {"name": "../../planted.txt", "size": 4, "md5": hashlib.md5(b"evil").hexdigest()},
        {"name": "ok.txt", "size": 2, "md5": hashlib.md5(b"ok").hexdigest()},
        {"name": "dir/", "size": 0, "md5": hashlib.md5(b"").hexdigest()},
    ]}
    location.driver.upload_object_via_stream([json.dumps(manifest).encode()], container, f"set/{DATASET_FILE}")
    target = tmp_path / "a" / "b"
    local = Dataset.from_cloud("memory://planted/set/").download(str(target))
    assert [f.name for f in local.files] == ["ok.txt"] and (target / "ok.txt").read_bytes() == b"ok"
    assert "'..' segment" in local.skipped["../../planted.txt"] and local.skipped["dir/"] == "folder marker"
    assert not (tmp_path / "planted.txt").exists() and not (tmp_path / "a" / "planted.txt").exists()


def test_refreshed_hashes_only_what_changed(survey: Path) -> None:
    dataset = Dataset.from_directory(str(survey))
    (survey / "readings.csv").write_text("t,v\n1,3\n")
    (survey / "new.txt").write_text("new")
    fresh = dataset.refreshed(str(survey), unchanged=["images/a.png"], changed=["readings.csv", "new.txt"])
    assert [f.name for f in fresh.files] == ["images/a.png", "new.txt", "readings.csv"]
    assert fresh.files[0] is dataset.files[0]
    assert fresh.files[2].md5 == hashlib.md5(b"t,v\n1,3\n").hexdigest()


def test_a_manifest_url_ending_in_json_is_the_manifest_file(survey: Path) -> None:
    local = Dataset.from_directory(str(survey), name="local")
    Manifest({"local": local}).to_cloud("memory://runs/9/path/to/file.json")
    stored = open_url("memory://runs/9/path/to/file.json")
    names = [obj.name for obj in stored.driver.list_container_objects(stored.container, prefix="9/")]
    assert "9/path/to/file.json" in names and "9/path/to/datasets/local/readings.csv" in names
    assert not any(name.startswith("9/path/to/file.json/") for name in names)
    loaded = Manifest.from_cloud("memory://runs/9/path/to/file.json")
    assert loaded.datasets["local"].location == "memory://runs/9/path/to/datasets/local/"  # type: ignore[union-attr]
    assert loaded.datasets["local"].id == local.id  # type: ignore[union-attr]


def test_a_local_dataset_referenced_by_a_manifest_is_read_back_from_its_path(survey: Path) -> None:
    local = Dataset.from_directory(str(survey), name="local", labels={"raw"})
    Manifest({"local": local}).to_cloud("memory://runs/10/manifest.json", store_datasets=False)
    loaded = Manifest.from_cloud("memory://runs/10/manifest.json").datasets["local"]
    assert isinstance(loaded, Dataset) and loaded.location == str(survey)
    assert (loaded.id, loaded.labels, loaded.files) == (local.id, {"raw"}, local.files)
    assert loaded.verify() == []
