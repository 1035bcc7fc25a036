"""Entra ID bearer tokens against a real Azurite over HTTPS with ``--oauth basic``.

Azurite checks each token's lifetime, issuer and audience (not its signature), refuses an
expired one, and refuses bearer tokens over plain HTTP; the client must never send one there.
"""

from __future__ import annotations

import pickle
import socket
import time
import uuid
from pathlib import Path

import pytest
import requests

from storagekit.base import StorageDriver
from storagekit.drivers.azure_blobs._auth import BearerTokenAuth
from storagekit.providers import get_driver
from storagekit.types import InvalidOptionError, Provider
from tests.support.azure_blobs import (
    AzuriteOAuth,
    UnsignedTokenCredential,
    cli_environment,
    fake_azure_cli,
    unsigned_jwt,
)


def _round_trip(driver: StorageDriver, cert: str, tmp_path: Path) -> None:
    """Create, upload, list, download, sign a URL, delete: every call authorized by the token."""
    container = driver.create_container(f"oauth-{uuid.uuid4().hex[:12]}")
    try:
        data = b"bytes behind a bearer token\n" * 1000
        obj = driver.upload_object_via_stream(iter([data]), container, "dir/blob.bin")
        assert [o.name for o in driver.list_container_objects(container)] == ["dir/blob.bin"]
        assert b"".join(driver.download_object_as_stream(obj)) == data
        target = tmp_path / "blob.bin"
        assert driver.download_object(obj, str(target)) and target.read_bytes() == data
        url = driver.get_object_url(obj, expires_in=300)  # a user-delegation SAS, from the token
        assert "skoid=" in url and "Authorization" not in url
        assert requests.get(url, timeout=30, verify=cert).content == data
        assert driver.delete_object(obj)
        assert driver.list_container_objects(container) == []
    finally:
        driver.delete_container(container)


def test_upload_list_download_delete_with_a_token_credential(azurite_oauth: AzuriteOAuth, tmp_path: Path) -> None:
    credential = UnsignedTokenCredential()
    _round_trip(azurite_oauth.driver(credential), azurite_oauth.cert, tmp_path)
    assert len(credential.issued) == 1  # one token, cached for every request


def test_azurite_refuses_a_request_without_a_valid_token(azurite_oauth: AzuriteOAuth) -> None:
    """What the other tests rely on: Azurite does check tokens (an expired one, none at all)."""
    url = f"{azurite_oauth.endpoint}?comp=list"
    headers = {"x-ms-version": "2021-08-06"}
    expired = {**headers, "Authorization": f"Bearer {unsigned_jwt(-120)}"}
    valid = {**headers, "Authorization": f"Bearer {unsigned_jwt(600)}"}
    assert requests.get(url, headers=expired, timeout=30, verify=azurite_oauth.cert).status_code in (401, 403)
    assert requests.get(url, headers=headers, timeout=30, verify=azurite_oauth.cert).status_code in (401, 403)
    assert requests.get(url, headers=valid, timeout=30, verify=azurite_oauth.cert).status_code == 200


def test_an_expired_token_is_replaced_by_asking_the_credential_again(azurite_oauth: AzuriteOAuth) -> None:
    credential = UnsignedTokenCredential(2, 3600)  # the first token expires within two seconds
    driver = azurite_oauth.driver(credential)
    auth = driver._config.bearer  # type: ignore[attr-defined]
    assert isinstance(auth, BearerTokenAuth)
    auth.refresh_margin = 0  # keep the first token until it has really expired
    container = driver.create_container(f"oauth-{uuid.uuid4().hex[:12]}")
    try:
        assert credential.issued and len(credential.issued) == 1
        first = credential.issued[0]
        while time.time() <= auth._expires_on + 0.5:  # until Azurite refuses the first token
            time.sleep(0.2)
        refused = requests.get(f"{azurite_oauth.endpoint}?comp=list", timeout=30, verify=azurite_oauth.cert,
                               headers={"x-ms-version": "2021-08-06", "Authorization": f"Bearer {first}"})
        assert refused.status_code in (401, 403)
        driver.upload_object_via_stream(iter([b"after expiry"]), container, "late.txt")
        assert len(credential.issued) == 2
        assert [o.name for o in driver.list_container_objects(container)] == ["late.txt"]
        driver.delete_object(driver.get_object(container.name, "late.txt"))
    finally:
        driver.delete_container(container)


def test_a_bearer_token_is_never_sent_over_plain_http() -> None:
    credential = UnsignedTokenCredential()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        driver = AzuriteOAuth(f"http://127.0.0.1:{port}/devstoreaccount1", cert="").driver(credential, verify=True)
        with pytest.raises(InvalidOptionError, match="only over HTTPS"):
            driver.list_containers()
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing connected: the request was refused before it was sent
    assert credential.issued == []  # no token was even asked for


def test_an_account_alone_uses_default_azure_credential(azurite_oauth: AzuriteOAuth, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """DefaultAzureCredential, as on a machine where ``az login`` was run (a fake ``az`` gives the tokens)."""
    cli = fake_azure_cli(tmp_path / "bin")
    for name in ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in cli_environment(cli).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", azurite_oauth.account)
    driver = get_driver(Provider.AZURE_BLOBS)(endpoint_url=azurite_oauth.endpoint, verify=azurite_oauth.cert)
    assert type(driver._config.bearer.credential).__name__ == "DefaultAzureCredential"  # type: ignore[attr-defined]
    _round_trip(driver, azurite_oauth.cert, tmp_path)
    copy = pickle.loads(pickle.dumps(driver))  # rebuilt from its options: a DefaultAzureCredential of its own
    assert copy.list_containers() is not None
    calls = (cli / "calls.log").read_text().splitlines()
    assert calls and all(call.startswith("account get-access-token") for call in calls)
    assert "https://storage.azure.com" in calls[0]
