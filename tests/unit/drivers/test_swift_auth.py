"""Keystone v3 and Rackspace identity v2.0 logins, against responses written from their documented
APIs (``fixtures/swift/``): the request each sends, the endpoint picked by region and interface,
the environment variables, libcloud's keywords, and a 401 renewing the token once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from storagekit.providers import get_driver
from storagekit.types import InvalidCredsError, InvalidOptionError, Provider
from tests.support.replay import FIXTURES, Answer, ReplayTransport

KEYSTONE = "https://keystone.example.org:5000/v3"
PROJECT_URL = "v1/AUTH_a6944d763bf64ee6a275f1263fae0352"
EMPTY_LISTING: Answer = (200, {"Content-Type": "application/json"}, b"[]")


def _answer(name: str) -> Answer:
    document = json.loads((FIXTURES / "swift" / f"{name}.json").read_text())
    return document["status"], document["headers"], json.dumps(document["json"]).encode()


def _login(replay: ReplayTransport, index: int = 0) -> dict[str, Any]:
    return json.loads(replay.requests[index].body)  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _no_openstack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("OS_", "ST_")):
            monkeypatch.delenv(name)


def test_keystone_v3_password_scoped_to_a_project_in_a_region() -> None:
    replay = ReplayTransport([_answer("keystone_v3_token"), EMPTY_LISTING])
    driver = get_driver(Provider.OPENSTACK_SWIFT)("demo", "s3cret", auth_url=KEYSTONE, project="demo",
                                                  domain="Default", region="RegionTwo", transport=replay)
    assert driver.list_containers() == []
    login, listing = replay.requests
    assert (login.method, login.url) == ("POST", f"{KEYSTONE}/auth/tokens")
    assert _login(replay) == {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "demo", "domain": {"name": "Default"}, "password": "s3cret"}}},
        "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}}
    assert listing.url.startswith(f"https://swift.regiontwo.example.org/{PROJECT_URL}?format=json")
    assert listing.headers["X-Auth-Token"] == "gAAAAABkeystone-v3-token-0123456789"


def test_the_interface_picks_the_endpoint() -> None:
    replay = ReplayTransport([_answer("keystone_v3_token"), EMPTY_LISTING])
    get_driver(Provider.OPENSTACK_SWIFT)("demo", "pw", auth_url=f"{KEYSTONE}/", project_id="a69", region="regionone",
                                         interface="internal", transport=replay).list_containers()
    assert _login(replay)["auth"]["scope"] == {"project": {"id": "a69"}}
    assert replay.requests[1].url.startswith(f"http://10.0.0.5:8080/{PROJECT_URL}?")


@pytest.mark.parametrize(("region", "message"), [
    (None, "several regions .RegionOne, RegionTwo."),
    ("RegionNine", "no public object-store endpoint in region RegionNine"),
])
def test_a_region_the_catalog_cannot_serve_is_named(region: str | None, message: str) -> None:
    replay = ReplayTransport([_answer("keystone_v3_token")])
    driver = get_driver(Provider.OPENSTACK_SWIFT)("demo", "pw", auth_url=KEYSTONE, project="demo", region=region,
                                                  transport=replay)
    with pytest.raises(InvalidOptionError, match=message):
        driver.list_containers()


def test_application_credentials_from_the_openstack_cli_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS_AUTH_URL", "https://keystone.example.org:5000")
    monkeypatch.setenv("OS_APPLICATION_CREDENTIAL_ID", "21dced0fd20347869b93710d2b98aae0")
    monkeypatch.setenv("OS_APPLICATION_CREDENTIAL_SECRET", "app-secret")
    monkeypatch.setenv("OS_REGION_NAME", "RegionOne")
    replay = ReplayTransport([_answer("keystone_v3_token"), EMPTY_LISTING])
    driver = get_driver(Provider.OPENSTACK_SWIFT)(transport=replay)
    driver.list_containers()
    assert replay.requests[0].url == f"{KEYSTONE}/auth/tokens"
    assert _login(replay) == {"auth": {"identity": {"methods": ["application_credential"], "application_credential": {
        "id": "21dced0fd20347869b93710d2b98aae0", "secret": "app-secret"}}}}
    assert "OS_" in driver.credential_source  # type: ignore[attr-defined]


def test_password_login_from_the_openstack_cli_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"OS_AUTH_URL": KEYSTONE, "OS_USERNAME": "demo", "OS_PASSWORD": "pw",
                        "OS_PROJECT_NAME": "research", "OS_USER_DOMAIN_NAME": "users",
                        "OS_PROJECT_DOMAIN_NAME": "projects", "OS_REGION_NAME": "RegionOne"}.items():
        monkeypatch.setenv(name, value)
    replay = ReplayTransport([_answer("keystone_v3_token"), EMPTY_LISTING])
    get_driver(Provider.OPENSTACK_SWIFT)(transport=replay).list_containers()
    auth = _login(replay)["auth"]
    assert auth["identity"]["password"]["user"] == {"name": "demo", "domain": {"name": "users"}, "password": "pw"}
    assert auth["scope"] == {"project": {"name": "research", "domain": {"name": "projects"}}}


def test_libcloud_keystone_keywords() -> None:
    replay = ReplayTransport([_answer("keystone_v3_token"), EMPTY_LISTING])
    get_driver(Provider.OPENSTACK_SWIFT)(
        "demo", "pw", ex_force_auth_url=KEYSTONE, ex_force_auth_version="3.x_password", ex_tenant_name="demo",
        ex_domain_name="Default", ex_force_service_region="RegionOne", transport=replay,
    ).list_containers()
    assert _login(replay)["auth"]["scope"]["project"] == {"name": "demo", "domain": {"name": "Default"}}
    assert replay.requests[1].url.startswith(f"https://swift.regionone.example.org/{PROJECT_URL}?")


@pytest.mark.parametrize(("provider", "region", "identity", "storage"), [
    (Provider.CLOUDFILES, None, "https://identity.api.rackspacecloud.com", "storage101.ord1"),
    (Provider.CLOUDFILES_US, "dfw", "https://identity.api.rackspacecloud.com", "storage101.dfw1"),
    (Provider.CLOUDFILES_UK, None, "https://lon.identity.api.rackspacecloud.com", "storage101.lon3"),
])
def test_rackspace_cloud_files_logs_in_with_an_api_key(
    provider: Provider, region: str | None, identity: str, storage: str
) -> None:
    replay = ReplayTransport([_answer("rackspace_v2_token"), EMPTY_LISTING])
    get_driver(provider)("demoauthor", "0123456789abcdef", region=region, transport=replay).list_containers()
    assert replay.requests[0].url == f"{identity}/v2.0/tokens"
    assert _login(replay) == {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": "demoauthor",
                                                                       "apiKey": "0123456789abcdef"}}}
    assert replay.requests[1].url.startswith(f"https://{storage}.clouddrive.com/v1/MossoCloudFS_abc?")
    assert replay.requests[1].headers["X-Auth-Token"] == "AAD4-rackspace-token-0123456789"


def test_servicenet_is_the_internal_interface() -> None:
    replay = ReplayTransport([_answer("rackspace_v2_token"), EMPTY_LISTING])
    get_driver(Provider.CLOUDFILES)("demoauthor", "key", region="LON", interface="internal",
                                    transport=replay).list_containers()
    assert replay.requests[1].url.startswith("https://snet-storage101.lon3.clouddrive.com/")


def test_a_401_renews_the_token_once_and_repeats_the_request() -> None:
    refused: Answer = (401, {}, b"<html><h1>Unauthorized</h1></html>")
    replay = ReplayTransport([_answer("keystone_v3_token"), refused, _answer("keystone_v3_token"), EMPTY_LISTING])
    driver = get_driver(Provider.OPENSTACK_SWIFT)("demo", "pw", auth_url=KEYSTONE, project="demo",
                                                  region="RegionOne", transport=replay)
    assert driver.list_containers() == []
    assert [request.method for request in replay.requests] == ["POST", "GET", "POST", "GET"]
    replay.answers = [refused, _answer("keystone_v3_token"), refused]
    with pytest.raises(InvalidCredsError):  # refused again after renewing: not renewed a second time
        driver.list_containers()
    assert replay.answers == []


def test_refused_credentials_are_invalid_creds() -> None:
    replay = ReplayTransport([(401, {"Content-Type": "application/json"},
                               b'{"error": {"code": 401, "message": "The request you have made requires '
                               b'authentication.", "title": "Unauthorized"}}')])
    driver = get_driver(Provider.OPENSTACK_SWIFT)("demo", "wrong", auth_url=KEYSTONE, project="demo",
                                                  transport=replay)
    with pytest.raises(InvalidCredsError):
        driver.list_containers()
    assert "wrong" not in repr(driver) + repr(vars(driver))


@pytest.mark.parametrize(("arguments", "message"), [
    ({"auth_token": "tk"}, "storage URL"),
    ({"storage_url": "https://swift.test/v1/AUTH_a"}, "auth_token"),
    ({"auth_url": KEYSTONE, "username": "demo"}, "user name .* and a secret"),
    ({"auth_url": KEYSTONE, "username": "demo", "password": "pw", "auth_version": "4"}, "auth_version"),
    ({"creds": {"tenant": "x"}}, "unknown Swift creds key 'tenant'"),
])
def test_incomplete_settings_are_named(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidOptionError, match=message):
        get_driver(Provider.OPENSTACK_SWIFT)(**arguments)
