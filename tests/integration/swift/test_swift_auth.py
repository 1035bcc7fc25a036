"""Logging in to the real Swift: v1 (tempauth), environment variables, pre-authenticated sessions,
libcloud's constructor form, and a token that expires being renewed once and the request repeated."""

from __future__ import annotations

import logging
import pickle
import time

import pytest

from storagekit.drivers.swift import SwiftStorageDriver
from storagekit.http import ResponseEvent
from storagekit.providers import get_driver
from storagekit.types import InvalidCredsError, InvalidOptionError, Provider
from tests.support.swift import SHORT_TOKEN_LIFE, SwiftServer


def _works(driver: SwiftStorageDriver) -> None:
    container = driver.create_container(f"auth-{time.monotonic_ns()}")
    driver.upload_object_via_stream([b"ok"], container, "probe")
    assert b"".join(driver.get_object(container.name, "probe").as_stream()) == b"ok"
    driver.delete_object(driver.get_object(container.name, "probe"))
    driver.delete_container(container)


def test_v1_tempauth_with_key_and_secret(swift_server: SwiftServer) -> None:
    driver = swift_server.driver()
    _works(driver)
    assert driver.storage_url == swift_server.storage_url


def test_libcloud_constructor_form(swift_server: SwiftServer) -> None:
    host, port = swift_server.endpoint.removeprefix("http://").split(":")
    driver = get_driver(Provider.OPENSTACK_SWIFT)(
        swift_server.user, swift_server.key, False, host, int(port),
        ex_force_auth_url=swift_server.auth_url, ex_force_auth_version="1.0",
    )
    _works(driver)  # type: ignore[arg-type]
    storage_url, token = swift_server.login()
    forced = get_driver(Provider.OPENSTACK_SWIFT)(ex_force_base_url=storage_url, ex_force_auth_token=token)
    _works(forced)  # type: ignore[arg-type]


def test_cloudbridge_storage_url_and_auth_token(swift_server: SwiftServer) -> None:
    """CloudBridge's OpenStack example: ``os_storage_url`` + ``os_auth_token`` from a login made elsewhere."""
    storage_url, token = swift_server.login()
    driver = get_driver(Provider.OPENSTACK_SWIFT)(storage_url=storage_url, auth_token=token)
    _works(driver)  # type: ignore[arg-type]
    in_creds = get_driver(Provider.OPENSTACK_SWIFT)(creds={"os_storage_url": storage_url, "os_auth_token": token})
    _works(in_creds)  # type: ignore[arg-type]


def test_a_refused_pre_authenticated_token_is_not_renewed(swift_server: SwiftServer) -> None:
    driver = get_driver(Provider.OPENSTACK_SWIFT)(storage_url=swift_server.storage_url, auth_token="AUTH_tk0000")
    with pytest.raises(InvalidCredsError):
        driver.list_containers()


def test_wrong_credentials_are_invalid_creds(swift_server: SwiftServer) -> None:
    with pytest.raises(InvalidCredsError):
        swift_server.driver(secret="wrong").list_containers()


def test_st_environment_variables(swift_server: SwiftServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_AUTH", swift_server.auth_url)
    monkeypatch.setenv("ST_USER", swift_server.user)
    monkeypatch.setenv("ST_KEY", swift_server.key)
    driver = get_driver(Provider.OPENSTACK_SWIFT)()
    _works(driver)  # type: ignore[arg-type]
    assert "ST_AUTH" in driver.credential_source  # type: ignore[attr-defined]


def test_os_storage_url_and_token_variables(swift_server: SwiftServer, monkeypatch: pytest.MonkeyPatch) -> None:
    storage_url, token = swift_server.login()
    for name in ("ST_AUTH", "OS_AUTH_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OS_STORAGE_URL", storage_url)
    monkeypatch.setenv("OS_AUTH_TOKEN", token)
    _works(get_driver(Provider.OPENSTACK_SWIFT)())  # type: ignore[arg-type]


def test_no_credentials_anywhere_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ST_AUTH", "OS_AUTH_URL", "OS_STORAGE_URL", "OS_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(InvalidOptionError, match="no Swift credentials"):
        get_driver(Provider.OPENSTACK_SWIFT)()


def test_an_expired_token_is_renewed_once_and_the_request_repeated(swift_server: SwiftServer) -> None:
    """The login (at the main proxy) says the token lives a day; the second proxy, where the requests
    go, refuses tokens older than SHORT_TOKEN_LIFE seconds with a 401, as a revoked token would be."""
    statuses: list[int | None] = []
    driver = swift_server.driver(ex_force_base_url=swift_server.storage_url.replace(
        swift_server.endpoint, swift_server.short_token_endpoint),
        hooks={"response": [lambda event: statuses.append(event.status_code)]})
    container = driver.create_container(f"renew-{time.monotonic_ns()}")
    logins = driver._tokens.logins
    time.sleep(SHORT_TOKEN_LIFE + 1)  # let the token expire (the server decides, not this test's clock)
    driver.upload_object_via_stream([b"after expiry"], container, "renewed")
    assert driver._tokens.logins == logins + 1
    assert statuses[-3:] == [401, 200, 201]  # refused, logged in again, the PUT repeated
    driver.delete_object(driver.get_object(container.name, "renewed"))
    driver.delete_container(container)


def test_a_token_about_to_expire_is_renewed_before_it_is_refused(swift_server: SwiftServer) -> None:
    statuses: list[int | None] = []
    driver = swift_server.driver(auth_url=f"{swift_server.short_token_endpoint}/auth/v1.0",
                                 hooks={"response": [lambda event: statuses.append(event.status_code)]})
    driver.list_containers()
    time.sleep(SHORT_TOKEN_LIFE + 1)
    driver.list_containers()
    assert driver._tokens.logins == 2 and 401 not in statuses


def test_tokens_and_keys_are_never_shown(swift_server: SwiftServer, caplog: pytest.LogCaptureFixture) -> None:
    storage_url, token = swift_server.login()
    events: list[ResponseEvent] = []
    driver = swift_server.driver(hooks={"response": [events.append]})
    with caplog.at_level(logging.DEBUG, logger="storagekit"):
        driver.list_containers()
        url = driver.get_object_url(driver._as_container("c"), method="PUT", object_name="o")
    shown = caplog.text + repr(driver) + repr(vars(driver)) + repr(events) + repr(driver._tokens)
    session_token = driver._tokens.session().token.reveal()
    for secret in (swift_server.key, session_token, url.split("temp_url_sig=")[1].split("&")[0]):
        assert secret not in shown
    preauth = get_driver(Provider.OPENSTACK_SWIFT)(storage_url=storage_url, auth_token=token)
    assert token not in repr(preauth) + repr(vars(preauth))


def test_a_driver_pickles_to_its_options_and_logs_in_again(swift_server: SwiftServer) -> None:
    copy = pickle.loads(pickle.dumps(swift_server.driver()))
    _works(copy)
    cloudfiles = get_driver(Provider.CLOUDFILES)("user", "api-key")
    assert type(pickle.loads(pickle.dumps(cloudfiles))) is type(cloudfiles)
