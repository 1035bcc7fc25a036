"""GCS credentials: every accepted form, the project, token refresh ahead of expiry against a
local token service, and secrets kept out of reprs, errors and logs."""

from __future__ import annotations

import datetime
import json
import logging
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.oauth2 import service_account

from storagekit.drivers.google_storage import GoogleStorageDriver
from storagekit.drivers.google_storage._auth import SCOPES, BearerAuth
from storagekit.models import Container
from storagekit.options import UploadOptions
from storagekit.providers import get_driver
from storagekit.secret import Secret
from storagekit.types import InvalidCredsError, InvalidOptionError, Provider
from storagekit.urls import open_url
from tests.support.google_storage import make_service_account_info, replayed_driver
from tests.support.google_tokens import TokenService

GCS = get_driver(Provider.GOOGLE_STORAGE)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STORAGE_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def info() -> dict[str, Any]:
    return make_service_account_info("owner@storagekit-test.iam.gserviceaccount.com")


@pytest.fixture
def key_file(tmp_path: Path, info: dict[str, Any]) -> Path:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(info))
    return path


def _key_body(info: dict[str, Any]) -> str:
    """A line from the middle of the private key: what must never leak."""
    return info["private_key"].splitlines()[5]


def test_libcloud_form_key_and_key_file(key_file: Path, info: dict[str, Any]) -> None:
    driver = GCS(info["client_email"], str(key_file))
    assert isinstance(driver.credentials, service_account.Credentials)
    assert driver.credentials.service_account_email == info["client_email"]
    assert tuple(driver.credentials.scopes) == SCOPES
    assert (driver.project, driver.endpoint) == ("storagekit-test", "https://storage.googleapis.com")


def test_libcloud_form_with_a_pem_secret(info: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    driver = GCS(info["client_email"], info["private_key"])
    assert driver.credentials.service_account_email == info["client_email"]
    assert driver.project == "env-project"


def test_key_file_of_another_account_is_refused(key_file: Path, info: dict[str, Any]) -> None:
    with pytest.raises(InvalidCredsError, match="belongs to owner@") as error:
        GCS("someone-else@p.iam.gserviceaccount.com", str(key_file))
    assert _key_body(info) not in str(error.value)


@pytest.mark.parametrize("form", ["path", "pathlib", "dict", "credentials"])
def test_credentials_argument_forms(form: str, key_file: Path, info: dict[str, Any]) -> None:
    value: Any = {"path": str(key_file), "pathlib": key_file, "dict": info,
                  "credentials": service_account.Credentials.from_service_account_info(info)}[form]
    driver = GCS(credentials=value, project="explicit")
    assert driver.credentials.service_account_email == info["client_email"]
    assert driver.credentials.scopes and driver.project == "explicit"


@pytest.mark.parametrize("value", ["anonymous", AnonymousCredentials()], ids=["string", "object"])
def test_anonymous(value: Any) -> None:
    driver = GCS(credentials=value, endpoint_url="http://127.0.0.1:1/")
    assert driver.credentials is None and driver.connection.auth is None
    assert driver.endpoint == "http://127.0.0.1:1"


def test_emulator_host_is_anonymous_unless_credentials_are_given(monkeypatch: pytest.MonkeyPatch,
                                                                key_file: Path) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "localhost:4443")
    driver = GCS()
    assert (driver.endpoint, driver.credentials) == ("http://localhost:4443", None)
    assert GCS(credentials=str(key_file)).endpoint == "http://localhost:4443"


def test_application_default_credentials(monkeypatch: pytest.MonkeyPatch, key_file: Path,
                                         info: dict[str, Any]) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    driver = GCS()
    assert driver.credentials.service_account_email == info["client_email"]
    assert driver.project == "storagekit-test"


@pytest.mark.parametrize("problem", ["missing-adc", "missing-file", "not-json", "no-secret", "bad-dict", "wrong-type"])
def test_unusable_credentials(problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              info: dict[str, Any]) -> None:
    not_json = tmp_path / "key.p12"
    not_json.write_bytes(b"\x30\x82binary")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "nowhere.json"))
    attempts = {
        "missing-adc": lambda: GCS(),
        "missing-file": lambda: GCS(credentials=str(tmp_path / "nowhere.json")),
        "not-json": lambda: GCS(credentials=str(not_json)),
        "no-secret": lambda: GCS("sa@p.iam.gserviceaccount.com"),
        "bad-dict": lambda: GCS(credentials={**info, "private_key": info["private_key"][:300]}),
        "wrong-type": lambda: GCS(credentials=42),
    }
    with pytest.raises(InvalidCredsError) as error:
        attempts[problem]()
    assert _key_body(info) not in str(error.value) and "BEGIN PRIVATE" not in str(error.value)


# ---------------------------------------------------------------------- tokens


@pytest.fixture
def tokens(info: dict[str, Any]) -> Iterator[TokenService]:
    with TokenService.for_key(info) as service:
        yield service


def _get(driver: GoogleStorageDriver) -> str:
    """Make one request; the Authorization header it carried."""
    driver.get_container("bkt")
    return driver.connection.transport.sent[-1].headers["Authorization"]  # type: ignore


def _ok() -> dict[str, Any]:
    return {"request": {}, "response": {"status": 200, "json": {"name": "bkt"}}}


def test_token_fetched_then_refreshed_before_expiry(info: dict[str, Any], tokens: TokenService) -> None:
    driver, _ = replayed_driver([_ok(), _ok(), _ok()], credentials={**info, "token_uri": tokens.uri})
    assert _get(driver) == "Bearer tok-1"
    assert _get(driver) == "Bearer tok-1" and tokens.issued == 1
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    driver.credentials.expiry = now + datetime.timedelta(seconds=90)  # still valid, but about to expire
    assert _get(driver) == "Bearer tok-2" and tokens.issued == 2


def test_concurrent_requests_refresh_once(info: dict[str, Any], tokens: TokenService) -> None:
    credentials = service_account.Credentials.from_service_account_info({**info, "token_uri": tokens.uri},
                                                                       scopes=SCOPES)
    auth = BearerAuth(credentials, "http://gcs.test")
    barrier = threading.Barrier(8)

    def call() -> str:
        request = requests.Request("GET", "http://gcs.test/").prepare()
        barrier.wait()
        return auth(request).headers["Authorization"]

    threads_out: list[str] = []
    workers = [threading.Thread(target=lambda: threads_out.append(call())) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert threads_out == ["Bearer tok-1"] * 8 and tokens.issued == 1


def test_secrets_stay_out_of_repr_errors_and_logs(info: dict[str, Any], tokens: TokenService,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    driver, _ = replayed_driver([_ok()], credentials={**info, "token_uri": tokens.uri})
    _get(driver)
    tokens.refuse = True
    driver.credentials.expiry = datetime.datetime(2000, 1, 1)
    with pytest.raises(InvalidCredsError, match="refused to issue an access token") as error:
        driver.get_object("bkt", "x")
    texts = [repr(driver), repr(driver.connection), repr(driver.connection.auth), str(error.value),
             repr(error.value), caplog.text]
    for secret in (_key_body(info), "BEGIN PRIVATE KEY", "tok-1"):
        assert all(secret not in text for text in texts), secret
    assert "GET" in caplog.text  # the requests were logged, without their secrets


def test_upload_session_uri_is_redacted_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="storagekit")
    session = "http://gcs.test/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=SECRET-SESSION"
    driver, _ = replayed_driver([
        {"request": {}, "response": {"status": 200, "headers": {"Location": session}}},
        {"request": {}, "response": {"status": 499, "body": ""}},
    ])
    upload = driver._multipart_start(Container("bkt", {}, driver), "o", UploadOptions())
    driver._multipart_abort(upload)
    assert "upload_id=REDACTED" in caplog.text and "SECRET-SESSION" not in caplog.text


# ---------------------------------------------------------------------- key material given as text


def test_key_file_json_text_and_wrapped_secrets(info: dict[str, Any], key_file: Path) -> None:
    text = json.dumps(info)
    for driver in (GCS(credentials=text), GCS(credentials=Secret(text)), GCS(info["client_email"], text),
                   GCS(info["client_email"], Secret(text)), GCS(credentials=Secret(str(key_file)))):
        assert driver.credentials.service_account_email == info["client_email"]
        assert driver.project == "storagekit-test"


@pytest.mark.parametrize("form, damage", [
    ("credentials", "truncated"), ("credentials", "not-an-object"), ("credentials", "pem"),
    ("secret", "truncated"), ("secret", "not-an-object"),
])
def test_key_material_that_does_not_parse_is_never_quoted(form: str, damage: str, info: dict[str, Any]) -> None:
    forms = {"truncated": json.dumps(info)[:-40], "not-an-object": json.dumps([info]), "pem": info["private_key"]}
    text = forms[damage]
    with pytest.raises(InvalidCredsError) as error:
        if form == "credentials":  # a PEM is no credentials form: it is taken for a path, and must not be shown
            GCS(credentials=text)
        else:
            GCS(info["client_email"], text)
    message = str(error.value)
    assert _key_body(info) not in message and "BEGIN PRIVATE" not in message and info["private_key_id"] not in message
    assert "line" in message or "JSON object" in message or "not shown" in message


# ---------------------------------------------------------------------- Deep Lake's spellings, creds=, browser


@pytest.mark.parametrize("spelling", ["default", "cache", "google_default", "DEFAULT"])
def test_default_and_cache_mean_application_default_credentials(spelling: str, monkeypatch: pytest.MonkeyPatch,
                                                                key_file: Path, info: dict[str, Any]) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    driver = GCS(credentials=spelling)
    assert driver.credentials.service_account_email == info["client_email"]
    assert driver.project == "storagekit-test"


@pytest.mark.parametrize("form", ["path", "dict", "json-text", "anonymous", "default"])
def test_creds_is_a_synonym_of_credentials(form: str, key_file: Path, info: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    value = {"path": str(key_file), "dict": info, "json-text": json.dumps(info), "anonymous": "anonymous",
             "default": "default"}[form]
    driver = GCS(creds=value, endpoint_url="http://127.0.0.1:1")
    expected = None if form == "anonymous" else info["client_email"]
    assert getattr(driver.credentials, "service_account_email", None) == expected
    assert GCS(credentials=value, creds=value, endpoint_url="http://127.0.0.1:1").project == driver.project
    rebuilt = pickle.loads(pickle.dumps(driver))  # the driver pickles to its constructor options, creds= included
    assert getattr(rebuilt.credentials, "service_account_email", None) == expected


def test_open_url_passes_creds_to_the_gcs_driver(info: dict[str, Any]) -> None:
    location = open_url("gs://bucket/some/key", creds=info, endpoint_url="http://127.0.0.1:1")
    assert location.driver.credentials.service_account_email == info["client_email"]


def test_credentials_and_creds_that_differ_are_refused(key_file: Path, info: dict[str, Any]) -> None:
    with pytest.raises(InvalidOptionError, match="synonyms") as error:
        GCS(credentials=str(key_file), creds=json.dumps(info))
    assert str(key_file) not in str(error.value) and _key_body(info) not in str(error.value)


def test_browser_login_says_what_to_run_instead() -> None:
    with pytest.raises(InvalidCredsError, match="gcloud auth application-default login"):
        GCS(credentials="browser")


def _key_like(info: dict[str, Any]) -> str:
    """A run of the private key's base64 body: what a mistaken "path" may be made of."""
    return "".join(info["private_key"].splitlines()[3:5])


@pytest.mark.parametrize("form", ["missing-key-like-path", "one-line-key-body", "adc-key-like-path"])
def test_no_path_or_key_fragment_in_the_message(form: str, tmp_path: Path, info: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    key_like = _key_like(info)
    path = str(tmp_path / f"{key_like[:80].replace('/', '_')}.json")
    with pytest.raises(InvalidCredsError) as error:
        if form == "missing-key-like-path":
            GCS(credentials=path)
        elif form == "one-line-key-body":
            GCS(credentials=key_like)
        else:
            monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", path)
            GCS(credentials="default")
    shown = f"{error.value}\n{error.value!r}\n{error.value.args}"
    for fragment in (key_like[:24], key_like[-24:], path, tmp_path.name, _key_body(info)):
        assert fragment not in shown, fragment
    assert "not shown" in shown or "GOOGLE_APPLICATION_CREDENTIALS is set" in shown
