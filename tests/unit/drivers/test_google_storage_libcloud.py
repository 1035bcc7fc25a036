"""libcloud's GCS ``auth_type``: SA and GCE are what storagekit does; IA and GCS_S3 are refused, saying why."""

from __future__ import annotations

import pytest

from storagekit.providers import get_driver
from storagekit.types import InvalidOptionError, Provider


def test_gce_means_the_default_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:1")
    driver = get_driver(Provider.GOOGLE_STORAGE)(auth_type="GCE", project="p")
    assert driver.project == "p"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("auth_type", "key", "words"), [
    ("IA", "client-id", "browser"), ("GCS_S3", "GOOGHMAC", "HMAC"), ("GCE", "someone@example.com", "no key"),
    ("XYZ", None, "SA, IA, GCE and GCS_S3"),
])
def test_the_others_are_refused(auth_type: str, key: str | None, words: str) -> None:
    with pytest.raises(InvalidOptionError, match=words):
        get_driver(Provider.GOOGLE_STORAGE)(key, "secret", auth_type=auth_type)
