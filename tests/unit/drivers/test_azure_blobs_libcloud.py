"""libcloud's Azure constructor: ``host``/``port``/``secure`` by libcloud's rule, and ``auth_type="azureAd"``."""

from __future__ import annotations

import pytest

from storagekit.drivers.azure_blobs import _libcloud
from storagekit.drivers.azure_blobs._config import EMULATOR_KEY
from storagekit.providers import get_driver
from storagekit.types import InvalidCredsError, InvalidOptionError, Provider


@pytest.mark.parametrize(("secure", "host", "port", "endpoint"), [
    (True, None, None, "https://acct.blob.core.windows.net"),
    (False, "127.0.0.1", 10000, "http://127.0.0.1:10000/acct"),
    (True, "edge.example", 11002, "https://edge.example:11002/acct"),
    (True, "blob.core.chinacloudapi.cn", None, "https://acct.blob.core.chinacloudapi.cn"),
    (True, "acct.privatelink.blob.core.windows.net", None, "https://acct.privatelink.blob.core.windows.net"),
    (True, "blob.core.usgovcloudapi.net", 443, "https://acct.blob.core.usgovcloudapi.net:443"),
])
def test_endpoint_follows_libclouds_rule(secure: bool, host: str | None, port: int | None, endpoint: str) -> None:
    assert _libcloud.endpoint("acct", secure, host, port) == endpoint
    driver = get_driver(Provider.AZURE_BLOBS)("acct", EMULATOR_KEY, secure, host, port)
    assert driver._endpoint == endpoint


@pytest.mark.parametrize(("secure", "port"), [("sv=2020&sig=x", None), (True, 70000), (True, "10000")])
def test_bad_secure_or_port_is_refused(secure: object, port: object) -> None:
    with pytest.raises(InvalidOptionError):
        get_driver(Provider.AZURE_BLOBS)("acct", EMULATOR_KEY, secure, "127.0.0.1", port)


def test_azure_ad_needs_tenant_identity_and_secret() -> None:
    with pytest.raises(InvalidCredsError, match="tenant_id"):
        get_driver(Provider.AZURE_BLOBS)("acct", "client-secret", auth_type="azureAd", identity="client-id")
    with pytest.raises(InvalidOptionError, match="azureAd"):
        get_driver(Provider.AZURE_BLOBS)("acct", EMULATOR_KEY, tenant_id="t", identity="i")
    with pytest.raises(InvalidOptionError, match="auth_type"):
        get_driver(Provider.AZURE_BLOBS)("acct", EMULATOR_KEY, auth_type="sharedKey")


def test_azure_ad_makes_a_client_secret_credential() -> None:
    from azure.identity import ClientSecretCredential  # in the test extra

    driver = get_driver(Provider.AZURE_BLOBS)("acct", "client-secret", auth_type="azureAd", tenant_id="tenant",
                                              identity="client-id", cloud_environment="AzureChinaCloud")
    credential = driver._config.auth.credential  # type: ignore[union-attr]
    assert isinstance(credential, ClientSecretCredential)
    assert "client-secret" not in repr(driver)


def test_a_driver_built_the_libcloud_way_pickles_to_the_same_endpoint() -> None:
    import pickle

    driver = get_driver(Provider.AZURE_BLOBS)("devstoreaccount1", EMULATOR_KEY, False, "127.0.0.1", 10000)
    assert pickle.loads(pickle.dumps(driver))._endpoint == "http://127.0.0.1:10000/devstoreaccount1"
