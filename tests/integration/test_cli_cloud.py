"""The storagekit command against real servers: presigned URLs, copies across providers,
and an interrupted restore that leaves no partial file and completes when run again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from storagekit.cli import main
from tests.support.azure_blobs import Azurite
from tests.support.s3 import SeaweedFS


@pytest.fixture
def s3_env(seaweedfs: SeaweedFS, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"AWS_ACCESS_KEY_ID": seaweedfs.access_key, "AWS_SECRET_ACCESS_KEY": seaweedfs.secret_key,
           "AWS_REGION": seaweedfs.region, "AWS_ENDPOINT_URL": seaweedfs.endpoint_url}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return env


@pytest.fixture
def bucket(s3_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> Iterator[str]:
    name = f"cli-{uuid.uuid4().hex[:12]}"
    assert main(["mb", f"s3://{name}"]) == 0
    yield name
    main(["--quiet", "rm", "-r", "--yes", f"s3://{name}/"])
    main(["rb", f"s3://{name}"])
    capsys.readouterr()


def test_presigned_urls_from_the_command(bucket: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "report.txt"
    source.write_text("quarterly numbers\n")
    assert main(["--quiet", "cp", str(source), f"s3://{bucket}/reports/"]) == 0
    capsys.readouterr()
    assert main(["url", "--expires", "300", f"s3://{bucket}/reports/report.txt"]) == 0
    url = capsys.readouterr().out.strip()
    assert "X-Amz-Signature=" in url and requests.get(url, timeout=10).text == "quarterly numbers\n"
    assert main(["url", "--method", "PUT", f"s3://{bucket}/reports/upload.txt"]) == 0
    put_url = capsys.readouterr().out.strip()
    assert requests.put(put_url, data=b"via presigned PUT", timeout=10).status_code == 200
    assert main(["cat", f"s3://{bucket}/reports/upload.txt"]) == 0


def test_copy_between_providers(bucket: str, azurite: Azurite, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
    data = os.urandom(200_000)
    (tmp_path / "blob.bin").write_bytes(data)
    container = f"cli-{uuid.uuid4().hex[:12]}"
    assert main(["--quiet", "cp", str(tmp_path / "blob.bin"), f"s3://{bucket}/x/blob.bin"]) == 0
    assert main(["mb", f"az://{container}"]) == 0
    try:
        assert main(["--quiet", "cp", f"s3://{bucket}/x/blob.bin", f"az://{container}/copied.bin"]) == 0
        assert main(["--quiet", "cp", f"az://{container}/copied.bin", str(tmp_path / "back.bin")]) == 0
        assert (tmp_path / "back.bin").read_bytes() == data
    finally:
        main(["--quiet", "rm", "-r", "--yes", f"az://{container}/"])
        main(["rb", f"az://{container}"])
    capsys.readouterr()


def test_interrupted_restore_leaves_no_partial_file_and_resumes(bucket: str, s3_env: dict[str, str],
                                                                tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for index in range(150):
        (source / f"file-{index:03d}.bin").write_bytes(os.urandom(400_000))
    assert main(["--quiet", "sync", "-j", "8", str(source), f"s3://{bucket}/data"]) == 0
    target = tmp_path / "restore"
    command = [sys.executable, "-m", "storagekit.cli", "sync", "-j", "2", f"s3://{bucket}/data",  # -q prints no summary
               str(target)]
    process = subprocess.Popen(command, env={**os.environ, **s3_env}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(target.glob("file-*.bin"))) < 5:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    finished = sorted(target.glob("file-*.bin"))
    assert 5 <= len(finished) < 150
    assert not [p for p in target.iterdir() if p.name.endswith(".part")]
    for path in finished:
        assert path.read_bytes() == (source / path.name).read_bytes()
    again = subprocess.run(command, env={**os.environ, **s3_env}, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert f"{150 - len(finished)} copied" in again.stdout and f"{len(finished)} unchanged" in again.stdout


def test_listing_sizing_and_deleting_a_directory_on_seaweedfs(bucket: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_bytes(b"12345")
    for name in ("photos/a.jpg", "photos/2024/b.jpg", "photos-2023/c.jpg", "photosynthesis.txt"):
        assert main(["-q", "cp", str(tmp_path / "f"), f"s3://{bucket}/{name}"]) == 0
    capsys.readouterr()
    assert main(["ls", "s3://"]) == 0
    assert bucket in capsys.readouterr().out.split()
    assert main(["ls", f"s3://{bucket}/photos"]) == 0
    assert capsys.readouterr().out.split() == ["photos/2024/", "photos/a.jpg"]
    assert main(["du", f"s3://{bucket}/photos"]) == 0
    assert capsys.readouterr().out == f"10\t2 objects\ts3://{bucket}/photos\n"
    for argv in (["ls", f"s3://{bucket}/photoz"], ["du", f"s3://{bucket}/photoz"],
                 ["rm", "-r", "--yes", f"s3://{bucket}/photo"], ["ls", f"s3://{bucket}-missing/x"]):
        assert main(argv) == 3, argv
    assert main(["ls", f"s3:/{bucket}"]) == 2 and "known schemes" in capsys.readouterr().err
    assert main(["rm", "-r", "--yes", "--json", f"s3://{bucket}/photos"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["deleted"]) == ["photos/2024/b.jpg", "photos/a.jpg"]
    assert main(["ls", "-r", f"s3://{bucket}"]) == 0
    assert capsys.readouterr().out.split() == ["photos-2023/c.jpg", "photosynthesis.txt"]


def test_mv_through_seaweedfs(bucket: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = os.urandom(100_000)
    (tmp_path / "up.bin").write_bytes(data)
    assert main(["mv", str(tmp_path / "up.bin"), f"s3://{bucket}/in/"]) == 0
    assert not (tmp_path / "up.bin").exists()
    assert main(["mv", f"s3://{bucket}/in/up.bin", f"s3://{bucket}/renamed.bin"]) == 0
    assert main(["mv", f"s3://{bucket}/renamed.bin", str(tmp_path / "down.bin")]) == 0
    assert (tmp_path / "down.bin").read_bytes() == data
    capsys.readouterr()
    assert main(["ls", "-r", "--json", f"s3://{bucket}"]) == 0
    assert json.loads(capsys.readouterr().out) == []
