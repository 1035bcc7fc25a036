"""storagekit.config: profiles hand secrets out wrapped, and a malformed file never shows its content."""

from __future__ import annotations

import base64
import configparser
from pathlib import Path
from typing import Any

import pytest

from storagekit.config import (
    SECRET_KEYS,
    describe_parse_error,
    is_secret,
    load_profile,
    profiles,
    redacted,
    save_profile,
)
from storagekit.secret import Secret
from storagekit.types import InvalidOptionError, StorageKitError
from storagekit.urls import open_url

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize("name", [*sorted(SECRET_KEYS), "client_secret", "OS_PASSWORD", "refresh-token", "Secret"])
def test_secret_options(name: str) -> None:
    assert is_secret(name)


@pytest.mark.parametrize("name", ["key", "provider", "endpoint_url", "region", "local_root", "kms_key_id", "project"])
def test_plain_options(name: str) -> None:
    assert not is_secret(name)


def test_the_brief_list_of_secret_options_is_complete() -> None:
    needed = {"secret", "credential", "credentials", "sas_token", "account_key", "connection_string", "token",
              "password", "auth_token", "client_secret", "session_token"}
    assert needed <= SECRET_KEYS


def test_profiles_wrap_secrets_and_save_them_back_in_clear(tmp_path: Path) -> None:
    path = str(tmp_path / "config.ini")
    save_profile("lab", {"provider": "minio", "key": "lab-user", "secret": SECRET, "sas_token": "sv=1&sig=abc"}, path)
    settings = load_profile("lab", path)
    assert settings["key"] == "lab-user" and settings["secret"] == Secret(SECRET)
    assert SECRET not in repr(settings) and SECRET not in str(profiles(path))
    assert redacted(settings) == {"provider": "minio", "key": "lab-user", "secret": "***", "sas_token": "***"}
    save_profile("lab", settings, path)  # what was loaded saves back as the secret, not as "***"
    assert f"secret = {SECRET}" in Path(path).read_text()
    assert Path(path).stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("content, where", [
    (f"secret = {SECRET}\n[profile a]\nkey = k\n", "line 1"),  # no section header
    (f"[profile a]\nkey = k\n{SECRET}\n", "line(s) 3"),  # a line that is no setting
    (f"[profile a]\nsecret = {SECRET}\nsecret = {SECRET}x\n", "line 3"),  # set twice
    (f"[profile a]\nsecret = {SECRET}\n[profile a]\n", "line 3"),  # section twice
])
def test_a_malformed_file_is_a_typed_error_naming_file_and_line_only(tmp_path: Path, content: str, where: str) -> None:
    path = tmp_path / "config.ini"
    path.write_text(content)
    for call in (lambda: profiles(str(path)), lambda: load_profile("a", str(path))):
        with pytest.raises(InvalidOptionError) as info:
            call()
        message = str(info.value)
        assert isinstance(info.value, StorageKitError) and str(path) in message and where in message
        assert SECRET not in message and SECRET not in repr(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_file_that_is_not_utf8_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "config.ini"
    path.write_bytes(b"[profile a]\nsecret = \xff\xfe" + SECRET.encode() + b"\n")
    with pytest.raises(InvalidOptionError, match="not UTF-8") as info:
        profiles(str(path))
    assert SECRET not in str(info.value)


def test_describe_parse_error_never_quotes_the_line() -> None:
    parser = configparser.ConfigParser()
    with pytest.raises(configparser.MissingSectionHeaderError) as info:
        parser.read_string(f"aws_secret_access_key = {SECRET}\n")
    assert SECRET in str(info.value)  # what configparser itself would have shown
    assert SECRET not in describe_parse_error(info.value) and "line 1" in describe_parse_error(info.value)


def test_a_profile_s_wrapped_secrets_reach_the_drivers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "config.ini")
    monkeypatch.setenv("STORAGEKIT_CONFIG", path)
    account_key = base64.b64encode(b"k" * 32).decode()
    save_profile("lab", {"provider": "minio", "key": "lab-user", "secret": SECRET, "token": "session",
                         "endpoint_url": "http://127.0.0.1:1"}, path)
    save_profile("az", {"provider": "azure_blobs", "key": "acct", "secret": account_key}, path)
    save_profile("azsas", {"provider": "azure_blobs", "key": "acct", "sas_token": "sv=1&sig=abc"}, path)
    s3: Any = open_url("s3://bucket/key", profile="lab").driver
    credentials = s3._current_credentials()
    assert (credentials.secret_key.reveal(), credentials.token.reveal()) == (SECRET, "session")
    azure: Any = open_url("az://container/blob", profile="az").driver
    assert azure._config.shared_key.account_key() == ("acct", b"k" * 32)
    sas: Any = open_url("az://container/blob", profile="azsas").driver
    assert sas._config.sas_token.reveal() == "sv=1&sig=abc"
