"""The Swift family as data: every provider name reaches the Swift driver with its preset, and
``swift://`` locations open it."""

from __future__ import annotations

import pickle

import pytest

from storagekit.drivers.swift import PRESETS, SwiftStorageDriver
from storagekit.providers import get_driver
from storagekit.types import InvalidCredsError, InvalidOptionError, Provider
from storagekit.urls import open_url
from tests.support.replay import ReplayTransport

PREAUTH = {"storage_url": "https://swift.test/v1/AUTH_a", "auth_token": "tk"}


@pytest.mark.parametrize("provider", sorted(PRESETS, key=str))
def test_every_swift_provider_has_its_preset_and_pickles(provider: Provider) -> None:
    cls = get_driver(provider)
    assert issubclass(cls, SwiftStorageDriver) and cls.preset is PRESETS[provider] and cls.provider is provider
    assert get_driver(provider.value.upper()) is cls
    driver = cls(**PREAUTH)
    assert type(pickle.loads(pickle.dumps(driver))) is cls


def test_libcloud_names() -> None:
    assert [p.value for p in (Provider.OPENSTACK_SWIFT, Provider.CLOUDFILES, Provider.CLOUDFILES_US,
                              Provider.CLOUDFILES_UK, Provider.CLOUDFILES_SWIFT, Provider.KTUCLOUD)] == [
        "openstack_swift", "cloudfiles", "cloudfiles_us", "cloudfiles_uk", "cloudfiles_swift", "ktucloud"]


def test_presets_fill_in_the_identity_endpoint() -> None:
    replay = ReplayTransport([(401, {}, b"")])
    ovh = get_driver(Provider.OVH_SWIFT)("user", "password", project="123", transport=replay)
    with pytest.raises(InvalidCredsError):
        ovh.list_containers()
    assert replay.requests[0].url == "https://auth.cloud.ovh.net/v3/auth/tokens"


def test_swift_urls_open_the_swift_driver() -> None:
    location = open_url("swift://backups/2024/db.dump", **PREAUTH)
    assert isinstance(location.driver, SwiftStorageDriver) and location.driver.provider is Provider.OPENSTACK_SWIFT
    assert (location.container_name, location.key) == ("backups", "2024/db.dump")
    rackspace = open_url("swift://backups/x", provider=Provider.CLOUDFILES, **PREAUTH)
    assert rackspace.driver.provider is Provider.CLOUDFILES
    with pytest.raises(InvalidOptionError, match="family"):
        open_url("swift://backups/x", provider=Provider.MINIO, **PREAUTH)
