"""Sync against the real servers: mtime and mode survive a round trip through SeaweedFS, Azurite
and fake-gcs-server; bad inputs through the real command change nothing on SeaweedFS; and rclone
reads what storagekit wrote as its own."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from storagekit.base import StorageDriver
from storagekit.sync import sync
from storagekit.urls import Location
from tests.support.s3 import SeaweedFS

STAMPS = {"a.txt": 1_600_000_000_123_456_789, "deep/b.bin": 1_500_000_000_000_000_000,
          "deep/c.sh": 1_700_000_001_500_000_000}
MODES = {"a.txt": 0o640, "deep/b.bin": 0o600, "deep/c.sh": 0o755}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    for name, stamp in STAMPS.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(1000 + len(name)))
        os.chmod(path, MODES[name])
        os.utime(path, ns=(stamp, stamp))
    return source


def _location(driver: StorageDriver, scheme: str) -> Location:
    container = f"sync-{uuid.uuid4().hex[:10]}"
    driver.create_container(container)
    return Location(driver, container, "backup", f"{scheme}://{container}/backup")


@pytest.mark.parametrize(("fixture", "scheme"), [("s3_driver", "s3"), ("azure_blobs_driver", "az"),
                                                 ("google_storage_driver", "gs"), ("swift_driver", "swift")])
def test_mtime_and_mode_survive_a_round_trip(request: pytest.FixtureRequest, fixture: str, scheme: str,
                                            tree: Path, tmp_path: Path) -> None:
    location = _location(request.getfixturevalue(fixture), scheme)
    assert len(sync(str(tree), location).copied) == 3
    restored = tmp_path / "restored"
    assert len(sync(location, str(restored)).copied) == 3
    for name, stamp in STAMPS.items():
        info = os.stat(restored / name)
        assert (info.st_mtime_ns, info.st_mode & 0o777) == (stamp, MODES[name]), name
        assert (restored / name).read_bytes() == (tree / name).read_bytes()
    assert sync(str(tree), location).unchanged == 3  # the quick check agrees in both directions
    assert sync(location, str(restored)).unchanged == 3
    (tree / "a.txt").write_bytes(os.urandom(os.path.getsize(tree / "a.txt")))  # same size, new mtime
    assert sync(str(tree), location).copied == ["a.txt"]
    assert sync(location, str(restored)).copied == ["a.txt"]
    assert (restored / "a.txt").read_bytes() == (tree / "a.txt").read_bytes()


# ---------------------------------------------------------------------------- the command on SeaweedFS


def _cli(seaweedfs: SeaweedFS, *argv: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": seaweedfs.access_key, "AWS_SECRET_ACCESS_KEY": seaweedfs.secret_key,
           "AWS_REGION": seaweedfs.region, "AWS_ENDPOINT_URL": seaweedfs.endpoint_url}
    env.pop("AWS_PROFILE", None)
    return subprocess.run([sys.executable, "-m", "storagekit.cli", *argv], capture_output=True, env=env,
                          timeout=300, check=False)


def _objects(driver: StorageDriver, container: str) -> dict[str, tuple[int, str]]:
    return {obj.name: (obj.size, obj.hash or "") for obj in driver.iterate_container_objects(container)}


def test_bad_inputs_change_nothing_on_seaweedfs(seaweedfs: SeaweedFS, s3_driver: StorageDriver, tree: Path,
                                                tmp_path: Path) -> None:
    bucket = f"sync-{uuid.uuid4().hex[:10]}"
    assert _cli(seaweedfs, "sync", "--create", str(tree), f"s3://{bucket}/photos").returncode == 0
    container = s3_driver.get_container(bucket)
    s3_driver.upload_object_via_stream([b"other"], container, "photos-2023/keep.jpg")
    before = _objects(s3_driver, bucket)
    cases = [
        (["sync", "--delete", str(tmp_path / "photoz"), f"s3://{bucket}/photos"], 3),
        (["sync", "--delete", str(tree / "a.txt"), f"s3://{bucket}/photos"], 3),
        (["sync", "--delete", f"s3://{bucket}/photoz", f"s3://{bucket}/photos"], 3),
        (["sync", "--delete", f"s3://no-{bucket}/photos", f"s3://{bucket}/photos"], 3),
        (["sync", "--delete", str(tmp_path / "empty-dir"), f"s3://{bucket}/photos"], 1),
        (["sync", "--delete", "--max-delete", "0", str(tree / "deep"), f"s3://{bucket}/photos"], 1),
        (["cp", "-r", str(tree), f"s3://no-{bucket}/photos"], 3),
        (["cp", str(tree / "a.txt"), f"s3://no-{bucket}/a.txt"], 3),
    ]
    (tmp_path / "empty-dir").mkdir()
    for argv, status in cases:
        done = _cli(seaweedfs, *argv)
        assert done.returncode == status, (argv, done.stderr)
        assert _objects(s3_driver, bucket) == before, argv
    assert f"no-{bucket}" not in [c.name for c in s3_driver.iterate_containers()]
    # the prefix is the directory photos/: photos-2023/ is never touched
    shutil.rmtree(tree / "deep")
    done = _cli(seaweedfs, "sync", "--delete", "--json", str(tree), f"s3://{bucket}/photos")
    assert done.returncode == 0 and json.loads(done.stdout)["deleted"] == ["deep/b.bin", "deep/c.sh"]
    assert sorted(_objects(s3_driver, bucket)) == ["photos-2023/keep.jpg", "photos/a.txt"]


def test_a_non_utf8_name_is_skipped_with_a_reason_on_s3(seaweedfs: SeaweedFS, tree: Path) -> None:
    (tree / os.fsdecode(b"r\xe9sum\xe9.txt")).write_text("latin-1 name")
    bucket = f"sync-{uuid.uuid4().hex[:10]}"
    done = _cli(seaweedfs, "sync", "--create", str(tree), f"s3://{bucket}/x")
    assert done.returncode == 0 and b"Traceback" not in done.stderr
    assert b"skipped r\\351sum\\351.txt: name is not valid UTF-8" in done.stdout
    assert b"3 copied" in done.stdout and b"1 skipped" in done.stdout


# ---------------------------------------------------------------------------- rclone's view


def _run_rclone(remote: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """rclone with one remote from the environment (``RCLONE_CONFIG_<NAME>_*``), times in UTC."""
    assert shutil.which("rclone"), "rclone is part of the test setup: apt-get install -y rclone"
    env = {key: value for key, value in os.environ.items() if key != "AWS_CA_BUNDLE"}
    env.update(TZ="UTC", RCLONE_CONFIG="/dev/null", **remote)
    return subprocess.run(["rclone", *argv], capture_output=True, text=True, env=env, timeout=120, check=False)


def _rclone(seaweedfs: SeaweedFS, *argv: str) -> subprocess.CompletedProcess[str]:
    return _run_rclone({"RCLONE_CONFIG_SW_TYPE": "s3", "RCLONE_CONFIG_SW_PROVIDER": "Other",
                        "RCLONE_CONFIG_SW_ACCESS_KEY_ID": seaweedfs.access_key,
                        "RCLONE_CONFIG_SW_SECRET_ACCESS_KEY": seaweedfs.secret_key,
                        "RCLONE_CONFIG_SW_REGION": seaweedfs.region,
                        "RCLONE_CONFIG_SW_ENDPOINT": seaweedfs.endpoint_url,
                        "RCLONE_CONFIG_SW_FORCE_PATH_STYLE": "true"}, *argv)


def _rclone_times(listing: str) -> dict[str, datetime]:
    """``rclone lsl`` output as name -> modification time (to the microsecond)."""
    seen = {}
    for line in listing.splitlines():
        _, day, clock, name = line.split(maxsplit=3)
        seen[name] = datetime.strptime(f"{day} {clock[:15]}", "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return seen


def _expected_times() -> dict[str, datetime]:
    return {name: datetime.fromtimestamp(stamp // 10**9, timezone.utc).replace(microsecond=stamp % 10**9 // 1000)
            for name, stamp in STAMPS.items()}


def test_rclone_reads_the_mtimes_and_agrees_on_the_tree(seaweedfs: SeaweedFS, s3_driver: StorageDriver,
                                                       tree: Path) -> None:
    location = _location(s3_driver, "s3")
    sync(str(tree), location)
    listed = _rclone(seaweedfs, "lsl", f"sw:{location.container_name}/backup")
    assert listed.returncode == 0, listed.stderr
    assert _rclone_times(listed.stdout) == _expected_times(), listed.stdout
    checked = _rclone(seaweedfs, "check", str(tree), f"sw:{location.container_name}/backup")
    assert checked.returncode == 0 and re.search(r"0 differences found", checked.stderr), checked.stderr
    (tree / "a.txt").write_bytes(b"changed behind the backup's back")
    checked = _rclone(seaweedfs, "check", str(tree), f"sw:{location.container_name}/backup")
    assert checked.returncode != 0 and "1 differences found" in checked.stderr


def test_rclone_reads_the_mtimes_written_to_gcs(fake_gcs_server: str, google_storage_driver: StorageDriver,
                                               tree: Path) -> None:
    """GCS keeps rclone's RFC 3339 ``mtime`` (and gsutil's seconds); rclone reads it as its own.
    (Azure's ``mtime`` has the same format; rclone 1.60 reaches Azurite only on its fixed port.)"""
    location = _location(google_storage_driver, "gs")
    sync(str(tree), location)
    listed = _run_rclone({"RCLONE_CONFIG_GS_TYPE": "google cloud storage", "RCLONE_CONFIG_GS_ANONYMOUS": "true",
                          "RCLONE_CONFIG_GS_ENDPOINT": f"{fake_gcs_server}/storage/v1/"},
                         "lsl", f"gs:{location.container_name}/backup")
    assert listed.returncode == 0, listed.stderr
    assert _rclone_times(listed.stdout) == _expected_times(), listed.stdout
