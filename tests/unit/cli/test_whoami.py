"""``storagekit whoami``: every driver names where its credentials come from, never a secret."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.support.cli import ok

ACCOUNT_KEY = base64.b64encode(b"whoami test account key, 32 b!!").decode()
SAS = "sv=2020-12-06&ss=b&srt=sco&sp=rl&se=2099-01-01T00:00:00Z&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D"


def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY",
                 "AZURE_STORAGE_SAS_TOKEN", "STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)


def test_stores_without_credentials_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "no credentials" in ok(capsys, "--local-root", str(tmp_path), "whoami", "local://b/")
    assert "no credentials" in ok(capsys, "whoami", "memory://b/")


@pytest.mark.parametrize(("variable", "value", "shown"), [
    ("AZURE_STORAGE_KEY", ACCOUNT_KEY, "account acct via Shared Key"),
    ("AZURE_STORAGE_SAS_TOKEN", SAS, "account acct via a SAS token"),
])
def test_azure_names_the_account_and_the_kind_of_credential(
    variable: str, value: str, shown: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    _clear(monkeypatch)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "acct")
    monkeypatch.setenv(variable, value)
    out = ok(capsys, "whoami", "az://container/")
    assert shown in out
    assert value not in out and "c2VjcmV0" not in out


def test_gcs_against_an_emulator_is_anonymous(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _clear(monkeypatch)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:1")
    assert "anonymous (no credentials) at http://127.0.0.1:1" in ok(capsys, "whoami", "gs://bucket/")
