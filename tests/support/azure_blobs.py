"""Fixtures: a real Azurite 3.35.0 blob server for the session, and drivers on it.

Azurite comes from ``$STORAGEKIT_AZURITE`` (a path to ``azurite-blob``) if set, else from
``<repo>/.cache/npm``, where it is installed with npm on first use (``.cache/`` is
git-ignored). Node.js and npm must be installed; the fixture fails saying so if not.

A second Azurite, ``azurite_oauth``, serves HTTPS with a self-signed certificate and accepts
Entra ID bearer tokens (``--oauth basic``). It checks a token's ``iat``/``nbf``/``exp``, its
issuer (``https://sts.windows.net/...``) and audience, not its signature, so
:class:`UnsignedTokenCredential` mints the tokens, and a fake ``az`` command
(:func:`fake_azure_cli`) hands them to azure-identity's ``AzureCliCredential``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.credentials import AccessToken

from storagekit.base import StorageDriver
from storagekit.drivers.azure_blobs import AzureBlobsStorageDriver
from storagekit.drivers.azure_blobs._config import EMULATOR_ACCOUNT
from storagekit.providers import get_driver
from storagekit.types import Provider
from tests.support.servers import Azurite, ServerProcess, azurite_binary, free_port, start_azurite

__all__ = ["Azurite", "AzuriteOAuth", "UnsignedTokenCredential", "cli_environment", "fake_azure_cli", "unsigned_jwt"]

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
"""Any tenant id: Azurite only checks that the issuer starts with https://sts.windows.net/."""


def _require_azurite() -> None:
    try:
        azurite_binary()  # installs Azurite with npm on first use
    except RuntimeError as error:  # Node.js or npm missing, or npm failed: a failure that says why
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """Azurite on a free port with a fresh workspace, stopped after the session."""
    _require_azurite()
    with start_azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server


@pytest.fixture(scope="session")
def azure_blobs_driver(azurite: Azurite) -> AzureBlobsStorageDriver:
    driver: AzureBlobsStorageDriver = azurite.driver()  # type: ignore[assignment]
    driver.list_page_size = 1000  # so the conformance listing (2,604 blobs) crosses pages
    return driver


@pytest.fixture(scope="session")
def azure_blobs_server_gaps() -> dict[str, str]:
    """Conformance tests Azurite 3.35 gets wrong (none known)."""
    return {}


# ---------------------------------------------------------------------- HTTPS + Entra ID tokens


def unsigned_jwt(expires_in: float, now: float | None = None, audience: str = "https://storage.azure.com") -> str:
    """A JWT with the claims Azurite checks and no signature (``alg: none``)."""
    issued = int(time.time() if now is None else now)

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"aud": audience, "iss": f"https://sts.windows.net/{TENANT}/", "iat": issued - 60, "nbf": issued - 60,
              "exp": int(issued + expires_in), "oid": "00000000-0000-0000-0000-000000000001", "tid": TENANT}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


class UnsignedTokenCredential:
    """An azure-core TokenCredential minting :func:`unsigned_jwt` tokens.

    Each token lives ``lifetimes[i]`` seconds (the last one repeats); ``issued`` records every
    token handed out, so a test sees how often it was asked.
    """

    def __init__(self, *lifetimes: float) -> None:
        self.lifetimes = lifetimes or (3600.0,)
        self.issued: list[str] = []
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self._lock:
            lifetime = self.lifetimes[min(len(self.issued), len(self.lifetimes) - 1)]
            now = time.time()
            token = unsigned_jwt(lifetime, now)
            self.issued.append(token)
            return AccessToken(token, int(now + lifetime))


@dataclass(frozen=True)
class AzuriteOAuth:
    """A running Azurite over HTTPS that accepts bearer tokens: its endpoint and the certificate to trust."""

    endpoint: str
    cert: str
    account: str = EMULATOR_ACCOUNT

    def driver(self, credential: Any = None, **options: Any) -> StorageDriver:
        """A driver on this Azurite authorized by ``credential`` (a fresh token credential if None)."""
        arguments = {"key": self.account, "credential": credential or UnsignedTokenCredential(),
                     "endpoint_url": self.endpoint, "verify": self.cert, **options}
        return get_driver(Provider.AZURE_BLOBS)(**arguments)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and localhost) and its key: (cert.pem, key.pem)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


@contextlib.contextmanager
def start_azurite_oauth(workdir: Path) -> Iterator[AzuriteOAuth]:
    """Azurite 3.35.0 over HTTPS with ``--oauth basic`` on a free port, ``workdir`` its workspace."""
    workdir.mkdir(parents=True, exist_ok=True)
    cert, key = make_certificate(workdir)
    port = free_port()
    server = ServerProcess("azurite-oauth", [
        azurite_binary(), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(workdir / "data"),
        "--skipApiVersionCheck", "--disableTelemetry", "--silent", "--oauth", "basic", "--cert", str(cert),
        "--key", str(key),
    ], workdir)
    endpoint = f"https://127.0.0.1:{port}/{EMULATOR_ACCOUNT}"
    try:
        server.wait_until(lambda: requests.get(f"{endpoint}?comp=list", timeout=2, verify=str(cert)).status_code
                          in (200, 401, 403), timeout=60, what="answering over HTTPS")
        yield AzuriteOAuth(endpoint, str(cert))
    finally:
        server.stop()


@pytest.fixture(scope="session")
def azurite_oauth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteOAuth]:
    """Azurite over HTTPS accepting bearer tokens, stopped after the session."""
    _require_azurite()
    with start_azurite_oauth(tmp_path_factory.mktemp("azurite-oauth")) as server:
        yield server


def fake_azure_cli(directory: Path) -> Path:
    """A directory holding an ``az`` that answers ``az account get-access-token`` with an unsigned JWT.

    Put it first on ``PATH`` (and ``AZURE_TOKEN_CREDENTIALS=AzureCliCredential``) and
    azure-identity's ``DefaultAzureCredential`` gets its tokens from it, as on a machine where
    ``az login`` was run. Each call appends a line to ``calls.log`` beside it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "az"
    script.write_text(f"""#!{sys.executable}
import json, sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from tests.support.azure_blobs import unsigned_jwt
with open({str(directory / "calls.log")!r}, "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
if sys.argv[1:3] != ["account", "get-access-token"]:
    sys.exit("this fake az only answers 'account get-access-token'")
now = time.time()
print(json.dumps({{"accessToken": unsigned_jwt(3600, now), "expires_on": int(now + 3600), "tokenType": "Bearer"}}))
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return directory


def cli_environment(directory: Path) -> dict[str, str]:
    """The environment in which ``DefaultAzureCredential`` uses only the fake ``az`` in ``directory``."""
    return {"PATH": f"{directory}{os.pathsep}{os.environ.get('PATH', '')}",
            "AZURE_TOKEN_CREDENTIALS": "AzureCliCredential"}
