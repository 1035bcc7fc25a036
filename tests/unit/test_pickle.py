"""Pickling: errors keep what they say (not their driver), drivers pickle to their constructor options.

The drivers' use in spawned worker processes against the real servers is in
tests/integration/test_pickle_workers.py; here, what a pickle holds and that unpickling connects nothing.
"""

from __future__ import annotations

import base64
import contextlib
import json
import pickle
import select
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storagekit import types
from storagekit.base import StorageDriver
from storagekit.drivers.s3._errors import WrongRegionError
from storagekit.providers import UnknownProviderError, get_driver
from storagekit.types import DriverRef, Provider, RateLimitReachedError, StorageKitError
from tests.support.google_storage import make_service_account_info

ERRORS = [getattr(types, name) for name in types.__all__
          if isinstance(getattr(types, name), type) and issubclass(getattr(types, name), StorageKitError)]
ACCOUNT_KEY = base64.b64encode(b"a test account key of 32 bytes!!").decode()


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AZURE_STORAGE_CONNECTION_STRING", "STORAGE_EMULATOR_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


@pytest.mark.parametrize("cls", [*ERRORS, WrongRegionError, UnknownProviderError], ids=lambda cls: cls.__name__)
def test_every_error_pickles_with_its_fields_and_a_driver_reference(cls: type[StorageKitError]) -> None:
    driver = get_driver(Provider.SEAWEEDFS)("K", "S", region="us-east-1", endpoint_url="http://127.0.0.1:1")
    error = cls("it failed", driver, http_status=503, code="SlowDown", request_id="r-1", container_name="bkt",
                object_name="a/b.txt", retryable=True)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and str(copy) == str(error) and copy.args == error.args
    assert (copy.message, copy.http_status, copy.code, copy.request_id, copy.container_name, copy.object_name,
            copy.retryable) == ("it failed", 503, "SlowDown", "r-1", "bkt", "a/b.txt", True)
    assert copy.driver == DriverRef("SeaweedFS", "seaweedfs")
    assert error.driver is driver  # the original keeps its driver
    assert pickle.loads(pickle.dumps(copy)).driver == copy.driver


def test_error_specific_fields_survive() -> None:
    copy = pickle.loads(pickle.dumps(RateLimitReachedError("slow down", None, retry_after=7.5)))
    assert copy.retry_after == 7.5 and copy.driver is None and copy.retryable
    assert pickle.loads(pickle.dumps(WrongRegionError("moved", region="eu-west-1"))).region == "eu-west-1"


def _round_trip(driver: StorageDriver) -> StorageDriver:
    data = pickle.dumps(driver)
    copy: StorageDriver = pickle.loads(data)
    assert type(copy) is type(driver) and repr(copy) == repr(driver)
    return copy


@pytest.mark.parametrize("provider", [Provider.S3, Provider.SEAWEEDFS, Provider.MINIO, Provider.WASABI,
                                      Provider.S3_EU_WEST])
def test_s3_and_its_presets_pickle_to_their_options(provider: Provider) -> None:
    driver = get_driver(provider)("AKID", "the-secret", token="the-token", endpoint_url="http://127.0.0.1:1")
    copy = _round_trip(driver)
    assert type(copy) is get_driver(provider) and copy.provider == provider  # the cached preset class itself
    assert copy._current_credentials() == driver._current_credentials()  # type: ignore[attr-defined]
    assert copy.region == driver.region  # type: ignore[attr-defined]


def test_preset_subclass_pickles_through_its_own_base() -> None:
    copy = _round_trip(S3Subclass.for_provider(Provider.MINIO)("K", "S", endpoint_url="http://127.0.0.1:1"))
    assert type(copy) is S3Subclass.for_provider(Provider.MINIO) and isinstance(copy, S3Subclass)


@pytest.mark.parametrize("form", ["key", "sas", "connection-string"])
def test_azure_pickles_to_its_options(form: str) -> None:
    arguments: dict[str, Any] = {
        "key": {"key": "acct", "secret": ACCOUNT_KEY},
        "sas": {"key": "acct", "sas_token": "sv=2020-12-06&sig=abc%3D"},
        "connection-string": {"connection_string": f"AccountName=acct;AccountKey={ACCOUNT_KEY}"},
    }[form]
    driver = get_driver(Provider.AZURE_BLOBS)(**arguments)
    copy: Any = _round_trip(driver)
    config, original = copy._config, driver._config  # type: ignore[attr-defined]
    assert (config.endpoint, config.account, config.sas_token) == (original.endpoint, original.account,
                                                                   original.sas_token)
    if form == "sas":
        assert config.sas_token.reveal() == "sv=2020-12-06&sig=abc%3D"
    else:
        assert config.shared_key.account_key() == ("acct", base64.b64decode(ACCOUNT_KEY))


@pytest.mark.parametrize("form", ["anonymous", "dict", "json-text"])
def test_google_storage_pickles_to_its_options(form: str) -> None:
    info = make_service_account_info()
    credentials = {"anonymous": "anonymous", "dict": info, "json-text": json.dumps(info)}[form]
    driver = get_driver(Provider.GOOGLE_STORAGE)(credentials=credentials, endpoint_url="http://127.0.0.1:1",
                                                 project="p")
    copy = _round_trip(driver)
    if form != "anonymous":
        assert copy.credentials.service_account_email == info["client_email"]  # type: ignore[attr-defined]


def test_local_pickles_to_its_root(tmp_path: Path) -> None:
    driver = get_driver(Provider.LOCAL)(str(tmp_path), fsync=False)
    driver.create_container("c").upload_object_via_stream(iter([b"kept on disk"]), "o")
    copy = _round_trip(driver)
    assert b"".join(copy.get_object("c", "o").as_stream()) == b"kept on disk"
    obj = pickle.loads(pickle.dumps(driver.get_object("c", "o")))  # objects travel with their driver's options
    assert (obj.name, obj.size, obj.container.name) == ("o", 12, "c") and b"".join(obj.as_stream()) == b"kept on disk"


def test_memory_refuses_with_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match=r"memory driver cannot be pickled.*local driver"):
        pickle.dumps(get_driver(Provider.MEMORY)())


def test_a_driver_pickles_after_use_and_holds_no_secret_in_vars(tmp_path: Path) -> None:
    driver = get_driver(Provider.AZURE_BLOBS)("acct", sas_token="sv=2020-12-06&sig=topsecretsig")
    assert "topsecretsig" not in str(vars(driver)) and "topsecretsig" not in repr(vars(driver)["_constructor_options"])
    assert "topsecretsig" not in str(vars(pickle.loads(pickle.dumps(driver))))


class S3Subclass(get_driver(Provider.S3)):  # type: ignore[misc,valid-type]
    """A user's own S3 driver class, importable by name."""


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A socket that accepts nothing: a connection attempt to it is seen as a pending connection."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server
    server.close()


def _attempted(listener: socket.socket, wait: float) -> bool:
    return bool(select.select([listener], [], [], wait)[0])


@pytest.mark.parametrize("provider", [Provider.SEAWEEDFS, Provider.AZURE_BLOBS, Provider.GOOGLE_STORAGE])
def test_unpickling_connects_nothing_until_first_use(provider: Provider, listener: socket.socket) -> None:
    endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
    arguments: dict[str, Any] = {
        Provider.SEAWEEDFS: {"key": "K", "secret": "S"},
        Provider.AZURE_BLOBS: {"key": "acct", "secret": ACCOUNT_KEY},
        Provider.GOOGLE_STORAGE: {"credentials": "anonymous", "project": "p"},
    }[provider]
    copy = pickle.loads(pickle.dumps(get_driver(provider)(endpoint_url=endpoint, timeout=1, **arguments)))
    assert not _attempted(listener, 0.2)

    def first_use() -> None:
        with contextlib.suppress(StorageKitError):  # nothing answers: only the attempt matters
            copy.get_container("bucket")

    threading.Thread(target=first_use, daemon=True).start()
    assert _attempted(listener, 10)  # the first call opens a connection of its own
