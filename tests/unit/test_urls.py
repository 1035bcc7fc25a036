"""Location URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from storagekit.drivers.local import LocalStorageDriver
from storagekit.types import InvalidOptionError, NotSupportedError, Provider
from storagekit.urls import is_url, open_url, shared_memory_driver


def test_local_and_memory_urls(tmp_path: Path) -> None:
    location = open_url("local://backups/photos/2024/", local_root=str(tmp_path))
    assert isinstance(location.driver, LocalStorageDriver) and location.driver.root == str(tmp_path)
    assert (location.container_name, location.key, location.is_prefix) == ("backups", "photos/2024/", True)
    assert location.child("cat.jpg").key == "photos/2024/cat.jpg"
    memory = open_url("memory://scratch/file.txt")
    assert memory.driver is shared_memory_driver() and not memory.is_prefix


def test_local_root_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGEKIT_LOCAL_ROOT", str(tmp_path / "store"))
    assert open_url("local://c").driver.root == str(tmp_path / "store")  # type: ignore[attr-defined]
    monkeypatch.delenv("STORAGEKIT_LOCAL_ROOT")
    with pytest.raises(InvalidOptionError, match="STORAGEKIT_LOCAL_ROOT"):
        open_url("local://c")


@pytest.mark.parametrize("url", ["ftp://host/x", "s3://", "s3:///key", "just/a/path"])
def test_bad_urls(url: str) -> None:
    with pytest.raises((InvalidOptionError, NotSupportedError)):
        open_url(url)


def test_is_url() -> None:
    assert is_url("s3://b/k") and is_url("GS://b") and is_url("az://c/b") and is_url("gcs://b")
    assert not is_url("./photos") and not is_url("/srv/data") and not is_url("C:\\data") and not is_url("ftp://x")


@pytest.mark.parametrize("text", ["s4://bucket/x", "gs:/bucket", "s3:/b", "s3:b/key", "S3:/B", "file:///etc/x",
                                  "azur://c", "memroy://x", "http:"])
def test_text_that_looks_like_a_url_is_refused_naming_the_schemes(text: str) -> None:
    from storagekit.urls import check_location, looks_like_url

    assert looks_like_url(text)
    with pytest.raises(InvalidOptionError, match=r"known schemes: s3://, gs://.*memory://"):
        check_location(text)


@pytest.mark.parametrize("text", ["s3://b/k", "./s4:/x", "photos", "/srv/data", "C:/data", "C:\\data", "notes:txt",
                                  "photos:2024/x", "-", "a/b:/c"])
def test_urls_and_plain_paths_pass(text: str) -> None:
    from storagekit.urls import check_location, looks_like_url

    assert not looks_like_url(text) and check_location(text) == text


def test_directory_prefix_never_matches_a_sibling() -> None:
    assert open_url("memory://b/photos").directory_prefix == "photos/"
    assert open_url("memory://b/photos/").directory_prefix == "photos/"
    assert open_url("memory://b").directory_prefix == ""
    assert open_url("memory://b/photos").child("x.jpg").key == "photos/x.jpg"


def test_a_whole_store_only_where_asked() -> None:
    location = open_url("memory://", container_optional=True)
    assert location.container_name == "" and location.key == ""
    with pytest.raises(InvalidOptionError, match="names no container"):
        open_url("memory://")
    with pytest.raises(InvalidOptionError, match="names no container"):
        open_url("memory:///key", container_optional=True)


def test_obs_urls_are_huawei_obs_with_lightly_option_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OBS_ENDPOINT", raising=False)
    location = open_url("obs://bucket/input/", obs_endpoint="http://127.0.0.1:9",
                        obs_access_key_id="OBS-ACCESS-KEY", obs_secret_access_key="OBS-SECRET-ACCESS-KEY")
    assert is_url("obs://bucket/input/") and location.driver.provider == Provider.HUAWEI_OBS
    assert (location.container_name, location.key) == ("bucket", "input/")
    assert "endpoint=127.0.0.1:9" in repr(location.driver) and "OBS-SECRET" not in repr(location.driver)


def test_obs_endpoint_from_the_environment_and_endpoint_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBS_ENDPOINT", "http://127.0.0.1:7")
    assert "endpoint=127.0.0.1:7" in repr(open_url("obs://bucket/k", key="a", secret="b").driver)
    chosen = open_url("obs://bucket/k", key="a", secret="b", endpoint_url="http://127.0.0.1:8",
                      obs_endpoint="http://127.0.0.1:6").driver
    assert "endpoint=127.0.0.1:8" in repr(chosen)
