"""End to end, as a user would: back up a directory of 2,500 files to each real server with the
`storagekit` command (credentials from the providers' environment variables), restore it,
re-sync, change a file, and verify the backup before and after an object is altered behind
storagekit's back by the provider's own SDK.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from storagekit.cli import main
from tests.support.azure_blobs import Azurite
from tests.support.google_storage import PROJECT
from tests.support.s3 import SeaweedFS

FILES = 2500


@dataclass
class Target:
    """How the command reaches one server: a URL prefix, environment, and a way to tamper."""

    url: str
    env: dict[str, str]
    tamper: Callable[[str, bytes], None]  # (object name, new bytes) through the provider's SDK


def _s3(server: SeaweedFS, bucket: str) -> Target:
    import boto3

    def tamper(name: str, data: bytes) -> None:
        client = boto3.client("s3", endpoint_url=server.endpoint_url, aws_access_key_id=server.access_key,
                              aws_secret_access_key=server.secret_key, region_name=server.region)
        client.put_object(Bucket=bucket, Key=name, Body=data)

    env = {"AWS_ACCESS_KEY_ID": server.access_key, "AWS_SECRET_ACCESS_KEY": server.secret_key,
           "AWS_REGION": server.region, "AWS_ENDPOINT_URL": server.endpoint_url}
    return Target(f"s3://{bucket}/backup", env, tamper)


def _azure(server: Azurite, container: str) -> Target:
    from azure.storage.blob import BlobServiceClient

    def tamper(name: str, data: bytes) -> None:
        client = BlobServiceClient.from_connection_string(server.connection_string)
        client.get_blob_client(container, name).upload_blob(data, overwrite=True)

    return Target(f"az://{container}/backup", {"AZURE_STORAGE_CONNECTION_STRING": server.connection_string}, tamper)


def _gcs(endpoint: str, bucket: str) -> Target:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    def tamper(name: str, data: bytes) -> None:
        client = storage.Client(project=PROJECT, credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": endpoint})
        client.bucket(bucket).blob(name).upload_from_string(data)

    return Target(f"gs://{bucket}/backup", {"STORAGE_EMULATOR_HOST": endpoint, "GOOGLE_CLOUD_PROJECT": PROJECT},
                  tamper)


@pytest.fixture(params=["s3", "azure_blobs", "google_storage"])
def target(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Target:
    name = f"e2e-{uuid.uuid4().hex[:12]}"
    if request.param == "s3":
        chosen = _s3(request.getfixturevalue("seaweedfs"), name)
    elif request.param == "azure_blobs":
        chosen = _azure(request.getfixturevalue("azurite"), name)
    else:
        chosen = _gcs(request.getfixturevalue("fake_gcs_server"), name)
    for key in ("AWS_PROFILE", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in chosen.env.items():
        monkeypatch.setenv(key, value)
    return chosen


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """2,500 files of mixed sizes in nested directories, one of them large enough for multipart."""
    root = tmp_path / "data"
    for index in range(FILES):
        folder = root / f"d{index % 20:02d}" / f"e{index % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:04d}.bin").write_bytes(os.urandom(index * 7 % 5000))
    (root / "large.bin").write_bytes(os.urandom(9 * 1024 * 1024 + 17))
    return root


def _run_on_a_terminal(*argv: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run the command with a pseudo-terminal as its stderr; its result and what it drew there."""
    primary, replica = pty.openpty()
    fcntl.ioctl(replica, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # rows, columns
    drawn = bytearray()
    reader = threading.Thread(target=_drain, args=(primary, drawn), daemon=True)
    reader.start()
    try:
        result = subprocess.run([sys.executable, "-m", "storagekit.cli", *argv], stderr=replica,
                                stdout=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(replica)
        reader.join(10)
        os.close(primary)
    return result, drawn.decode(errors="replace")


def _drain(descriptor: int, into: bytearray) -> None:
    while True:
        try:
            chunk = os.read(descriptor, 65536)
        except OSError:  # EIO once the terminal's other end is closed
            return
        if not chunk:
            return
        into.extend(chunk)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))  # not --quiet: it prints nothing but errors
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def test_backup_restore_resync_and_verify(target: Target, tree: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    # first backup through a terminal, so the progress bar is drawn
    first, drawn = _run_on_a_terminal("sync", "--manifest", "-j", "8", str(tree), target.url)
    assert first.returncode == 0, drawn[-2000:]
    assert f"{FILES + 1} copied" in first.stdout and "files" in drawn and "B/s" in drawn

    restored = tmp_path / "restored"
    assert f"{FILES + 2} copied" in run(capsys, "sync", "-j", "8", target.url, str(restored))  # + the manifest
    for path in tree.rglob("*"):
        if path.is_file():
            assert (restored / path.relative_to(tree)).read_bytes() == path.read_bytes()

    assert "0 copied" in run(capsys, "sync", "-j", "8", str(tree), target.url)
    changed = tree / "d05" / "e2" / "f0005.bin"
    changed.write_bytes(os.urandom(changed.stat().st_size))
    out = run(capsys, "sync", "-j", "8", str(tree), target.url)
    assert "1 copied" in out and "copied d05/e2/f0005.bin" in out

    run(capsys, "sync", "--manifest", "-j", "8", str(tree), target.url)  # the manifest follows the change
    assert f"{FILES + 1} of {FILES + 1} files match" in run(capsys, "verify", target.url)
    victim = "d07/e1/f0007.bin"
    data = bytearray((tree / victim).read_bytes())
    data[len(data) // 2] ^= 0x01
    target.tamper(f"backup/{victim}", bytes(data))
    code = main(["--quiet", "verify", target.url])
    err = capsys.readouterr().err
    assert code == 6 and victim in err and err.count("mismatch") == 1
