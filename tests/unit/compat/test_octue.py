"""The Octue door's own rules on the memory and local stores (the seed's examples: tests/integration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storagekit.compat.octue import Datafile, Dataset, Manifest
from storagekit.types import InvalidOptionError, ObjectHashMismatchError
from storagekit.urls import open_url


def test_a_location_is_one_form_or_the_other(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"a")
    datafile = Datafile(path=str(tmp_path / "a.txt"))
    with pytest.raises(InvalidOptionError, match="cloud_path=, or bucket_name= and path_in_bucket="):
        datafile.to_cloud(bucket_name="b")
    with pytest.raises(InvalidOptionError, match="not both"):
        datafile.to_cloud(bucket_name="b", path_in_bucket="a.txt", cloud_path="memory://b/a.txt")
    with pytest.raises(InvalidOptionError, match=r"must end in \.json"):
        Manifest({}).to_cloud(cloud_path="memory://b/path/to/manifest")


def test_a_file_that_is_not_its_hash_value_is_not_uploaded(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"changed")
    datafile = Datafile(path=str(tmp_path / "a.txt"), hash_value="0" * 32)
    with pytest.raises(ObjectHashMismatchError, match="hash_value"):
        datafile.to_cloud(cloud_path="memory://octue-unit/a.txt")
    assert not open_url("memory://octue-unit/a.txt").driver.object_exists("octue-unit", "a.txt")


def test_a_corrupted_object_is_not_downloaded(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"original")
    url = Datafile(path=str(tmp_path / "a.txt")).to_cloud(cloud_path="memory://octue-unit/corrupt.txt")
    datafile = Datafile(path=url)
    location = open_url(url)
    location.driver.upload_object_via_stream([b"tampered"], location.container, location.key,
                                             ex_meta=location.driver.get_object("octue-unit", "corrupt.txt").meta_data)
    with pytest.raises(ObjectHashMismatchError, match="corrupt"):
        datafile.download(str(tmp_path / "out.txt"))
    assert not (tmp_path / "out.txt").exists()


def test_a_dataset_of_loose_files_lives_in_their_common_directory(tmp_path: Path) -> None:
    for name in ("x/1.txt", "x/y/2.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    dataset = Dataset(files=[str(tmp_path / "x/1.txt"), Datafile(path=str(tmp_path / "x/y/2.txt"))], name="loose")
    assert dataset.path == str(tmp_path / "x")
    url = dataset.to_cloud(cloud_path="memory://octue-unit/out/loose")
    listed = open_url(url).driver.list_container_objects(open_url(url).container, prefix="out/loose/")
    assert sorted(obj.name for obj in listed) == ["out/loose/.storagekit-dataset.json", "out/loose/1.txt",
                                                  "out/loose/y/2.txt"]


def test_a_cloud_dataset_copied_to_another_store_keeps_its_identity(tmp_path: Path) -> None:
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "a.txt").write_bytes(b"a" * 100)
    first = Dataset(path=str(tmp_path / "set"), labels={"raw"})
    first.to_cloud(cloud_path="memory://octue-unit/first/set")
    copied = Dataset.from_cloud(cloud_path="memory://octue-unit/first/set")
    url = copied.to_cloud(cloud_path="local://octue-unit/second/set", local_root=str(tmp_path / "store"))
    assert (tmp_path / "store" / "octue-unit" / "second" / "set" / "a.txt").read_bytes() == b"a" * 100
    again = Dataset.from_cloud(cloud_path=url, local_root=str(tmp_path / "store"))
    assert (again.id, again.labels, [f.id for f in again.files]) == (first.id, {"raw"}, [f.id for f in first.files])
