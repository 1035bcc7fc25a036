"""Seed 000 (Octue's cloud storage): every example, only imports and placeholders changed.

The examples' own form (``project_name`` / ``bucket_name``: Google Cloud Storage, as in Octue) runs
against fake-gcs-server; the same examples with Octue's ``cloud_path=`` run against SeaweedFS,
Azurite, fake-gcs-server and the local driver. Each store's credentials and endpoint come from
the environment, as a user's would.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storagekit.compat.octue import Datafile, Dataset, Manifest
from storagekit.urls import open_url
from tests.support.servers import GCS_PROJECT

from .conftest import unique

SCHEMES = {"aws": "s3", "azure": "az", "gcp": "gs", "local": "local"}


@pytest.fixture
def environment(store: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Point the environment at the store's test server; the URL scheme to use."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    if store == "aws":
        seaweedfs = request.getfixturevalue("seaweedfs")
        for name, value in (("AWS_ENDPOINT_URL", seaweedfs.endpoint_url), ("AWS_ACCESS_KEY_ID", seaweedfs.access_key),
                            ("AWS_SECRET_ACCESS_KEY", seaweedfs.secret_key), ("AWS_REGION", seaweedfs.region)):
            monkeypatch.setenv(name, value)
    elif store == "azure":
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", request.getfixturevalue("azurite").connection_string)
    elif store == "gcp":
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", request.getfixturevalue("fake_gcs_server"))
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", GCS_PROJECT)
    else:
        monkeypatch.setenv("STORAGEKIT_LOCAL_ROOT", str(tmp_path / "store"))
    return SCHEMES[store]


def _dataset(tmp_path: Path, name: str) -> Dataset:
    root = tmp_path / name
    (root / "sub").mkdir(parents=True)
    for index, relative in enumerate(("file-0.csv", "file-1.bin", "sub/file-2.txt")):
        (root / relative).write_bytes(os.urandom(1000 + index) if relative.endswith(".bin") else b"x,y\n1,2\n")
    return Dataset(path=str(root), labels={"raw"}, tags={"site": "north"})


def _metadata(url: str) -> dict[str, str]:
    location = open_url(url)
    return location.driver.get_object(location.container_name, location.key).meta_data


@pytest.mark.parametrize("store", ["gcp"])
def test_the_examples_as_written(environment: str, tmp_path: Path) -> None:
    """The seed's blocks in Octue's GCS form, placeholders filled in."""
    bucket_name = unique("bucket")
    local = tmp_path / "my-file.txt"
    local.write_bytes(b"some data\n")
    my_datafile = Datafile(path=str(local), labels={"a"}, tags={"n": 1})

    assert my_datafile.to_cloud(project_name=GCS_PROJECT, bucket_name=bucket_name,
                                path_in_bucket="path/in/bucket") == f"gs://{bucket_name}/path/in/bucket"
    downloaded_datafile = Datafile(path=f"gs://{bucket_name}/path/in/bucket", project_name=GCS_PROJECT)

    assert (downloaded_datafile.id, downloaded_datafile.labels, downloaded_datafile.tags) == (
        my_datafile.id, {"a"}, {"n": 1})
    with downloaded_datafile.open("rb") as file:
        assert file.read() == b"some data\n"

    my_dataset = _dataset(tmp_path, "my-dataset")
    assert my_dataset.to_cloud(project_name=GCS_PROJECT, bucket_name=bucket_name,
                               output_directory="output-directory") == f"gs://{bucket_name}/output-directory/my-dataset"
    downloaded_dataset = Dataset.from_cloud(project_name=GCS_PROJECT, bucket_name=bucket_name,
                                            path_to_dataset_directory="output-directory/my-dataset")
    assert (downloaded_dataset.name, downloaded_dataset.id) == ("my-dataset", my_dataset.id)
    assert sorted(f.name for f in downloaded_dataset.files) == ["file-0.csv", "file-1.bin", "file-2.txt"]

    my_manifest = Manifest(datasets={"my_dataset": _dataset(tmp_path, "in-manifest")})
    assert my_manifest.to_cloud(project_name=GCS_PROJECT, bucket_name=bucket_name,
                                path_to_manifest_file="path/to/manifest/file.json") == (
        f"gs://{bucket_name}/path/to/manifest/file.json")
    downloaded_manifest = Manifest.from_cloud(project_name=GCS_PROJECT, bucket_name=bucket_name,
                                              path_to_manifest_file="path/to/manifest/file.json")
    assert downloaded_manifest.datasets["my_dataset"].path == f"gs://{bucket_name}/path/to/manifest/in-manifest"


def test_datafiles_round_trip_with_their_metadata(environment: str, tmp_path: Path) -> None:
    bucket = unique("bucket")
    local = tmp_path / "readings.bin"
    local.write_bytes(os.urandom(50_000))
    my_datafile = Datafile(path=str(local), labels={"raw", "v2"}, tags={"site": "north", "depth": 3})
    url = my_datafile.to_cloud(cloud_path=f"{environment}://{bucket}/path/in/bucket/readings.bin")

    meta = _metadata(url)
    assert meta["datafile_id"] == my_datafile.id and meta["datafile_hash"] == my_datafile.hash_value
    downloaded_datafile = Datafile(path=url)
    assert (downloaded_datafile.id, downloaded_datafile.labels, downloaded_datafile.tags) == (
        my_datafile.id, {"raw", "v2"}, {"site": "north", "depth": 3})
    copy = downloaded_datafile.download(str(tmp_path / "copy.bin"))
    assert Path(copy).read_bytes() == local.read_bytes()

    with downloaded_datafile.open("ab") as file:  # written back, verified, on close
        file.write(b"appended")
    assert Datafile(path=url).size_bytes == 50_000 + len(b"appended")
    again = Datafile(path=url).download(str(tmp_path / "again.bin"))
    assert Path(again).read_bytes() == local.read_bytes() + b"appended"


def test_datasets_land_in_a_directory_named_after_them(environment: str, tmp_path: Path) -> None:
    bucket = unique("bucket")
    my_dataset = _dataset(tmp_path, "survey")
    url = my_dataset.to_cloud(cloud_path=f"{environment}://{bucket}/output-directory/survey")
    assert url == f"{environment}://{bucket}/output-directory/survey"
    assert _metadata(f"{url}/sub/file-2.txt")["datafile_labels"] == "[]"  # the datafile's own labels

    downloaded_dataset = Dataset.from_cloud(cloud_path=url)
    assert (downloaded_dataset.id, downloaded_dataset.labels, downloaded_dataset.tags) == (
        my_dataset.id, {"raw"}, {"site": "north"})
    copy = Path(downloaded_dataset.download(str(tmp_path / "copy")))
    for relative in ("file-0.csv", "file-1.bin", "sub/file-2.txt"):
        assert (copy / relative).read_bytes() == (tmp_path / "survey" / relative).read_bytes()


def test_manifests_with_datasets_beside_them_or_anywhere(environment: str, tmp_path: Path) -> None:
    bucket = unique("bucket")
    stored_elsewhere = _dataset(tmp_path, "elsewhere")
    stored_elsewhere.to_cloud(cloud_path=f"{environment}://{bucket}-other/somewhere/elsewhere")
    local = _dataset(tmp_path, "local")
    manifest_file = f"{environment}://{bucket}/path/to/manifest/file.json"

    my_manifest = Manifest(datasets={"beside": _dataset(tmp_path, "beside")})
    assert my_manifest.to_cloud(cloud_path=manifest_file) == manifest_file
    downloaded_manifest = Manifest.from_cloud(cloud_path=manifest_file)
    beside = downloaded_manifest.datasets["beside"]
    assert beside.path == f"{environment}://{bucket}/path/to/manifest/beside"
    assert (Path(beside.download(str(tmp_path / "beside-copy"))) / "file-0.csv").read_bytes() == b"x,y\n1,2\n"

    anywhere = f"{environment}://{bucket}/path/to/anywhere.json"
    Manifest(datasets={"elsewhere": stored_elsewhere, "local": local}).to_cloud(cloud_path=anywhere,
                                                                                store_datasets=False)
    loaded = Manifest.from_cloud(cloud_path=anywhere)
    assert loaded.datasets["elsewhere"].path == f"{environment}://{bucket}-other/somewhere/elsewhere"
    assert loaded.datasets["local"].path == str(tmp_path / "local")  # read back by its local path
    assert loaded.datasets["local"].id == local.id
    with loaded.datasets["local"].files[0].open("rb") as file:
        assert file.read() == b"x,y\n1,2\n"
    names = [obj.name for obj in open_url(anywhere).driver.list_container_objects(open_url(anywhere).container)]
    assert not any("local" in name for name in names)  # nothing of the local dataset was uploaded
