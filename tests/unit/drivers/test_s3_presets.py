"""The S3 preset table: every S3-speaking provider has a row, and get_driver picks it."""

from __future__ import annotations

import pytest

from storagekit.drivers.s3 import PRESETS, S3StorageDriver
from storagekit.providers import DRIVERS, get_driver
from storagekit.types import InvalidOptionError, Provider

S3_PROVIDERS = [Provider(name) for name, (module, _) in DRIVERS.items()
                if module == "storagekit.drivers.s3" and name in Provider._value2member_map_]


def test_every_s3_provider_has_a_preset_and_nothing_else_does() -> None:
    assert set(PRESETS) == set(S3_PROVIDERS)
    assert len(S3_PROVIDERS) == 34


@pytest.mark.parametrize("provider", S3_PROVIDERS, ids=str)
def test_get_driver_returns_a_preset_class(provider: Provider) -> None:
    cls = get_driver(provider)
    assert issubclass(cls, S3StorageDriver)
    assert cls.preset is PRESETS[provider] and cls.provider is provider
    assert get_driver(provider.value.upper()) is cls  # cached: one class per provider
    if cls is not S3StorageDriver:  # a preset class carries data only, no code
        assert cls.__dict__.keys() <= {"provider", "preset", "name", "website", "__module__", "__doc__"}


def test_plain_s3_is_the_driver_class_itself() -> None:
    assert get_driver(Provider.S3) is S3StorageDriver


@pytest.mark.parametrize(
    ("provider", "host"),
    [
        (Provider.S3, "s3.amazonaws.com"),
        (Provider.S3_US_WEST_OREGON, "s3.us-west-2.amazonaws.com"),
        (Provider.S3_AP_NORTHEAST, "s3.ap-northeast-1.amazonaws.com"),
        (Provider.S3_EU_NORTH1, "s3.eu-north-1.amazonaws.com"),
        (Provider.S3_CN_NORTH, "s3.cn-north-1.amazonaws.com.cn"),
        (Provider.S3_US_GOV_WEST, "s3.us-gov-west-1.amazonaws.com"),
        (Provider.DIGITALOCEAN_SPACES, "nyc3.digitaloceanspaces.com"),
        (Provider.WASABI, "s3.us-east-1.wasabisys.com"),
        (Provider.SCALEWAY, "s3.fr-par.scw.cloud"),
        (Provider.HUAWEI_OBS, "obs.cn-north-4.myhuaweicloud.com"),
    ],
)
def test_public_endpoints(provider: Provider, host: str) -> None:
    driver = get_driver(provider)("K", "S")
    assert driver._host == host and driver._scheme == "https"


def test_region_argument_moves_the_endpoint() -> None:
    assert get_driver(Provider.DIGITALOCEAN_SPACES)("K", "S", region="ams3")._host == "ams3.digitaloceanspaces.com"
    assert get_driver(Provider.BACKBLAZE_B2)("K", "S", region="us-west-004")._host == "s3.us-west-004.backblazeb2.com"


@pytest.mark.parametrize("provider", [Provider.MINIO, Provider.CEPH, Provider.SEAWEEDFS, Provider.CLOUDFLARE_R2])
def test_self_hosted_services_need_an_endpoint(provider: Provider) -> None:
    with pytest.raises(InvalidOptionError, match="endpoint_url"):
        get_driver(provider)("K", "S")
    driver = get_driver(provider)("K", "S", endpoint_url="http://127.0.0.1:9000")
    assert driver._base("bucket", driver.region)[0] == "http://127.0.0.1:9000/bucket"


def test_backblaze_needs_a_region() -> None:
    with pytest.raises(InvalidOptionError, match="region"):
        get_driver(Provider.BACKBLAZE_B2)("K", "S")


def test_r2_signs_for_region_auto() -> None:
    driver = get_driver(Provider.CLOUDFLARE_R2)("K", "S", endpoint_url="https://acc.r2.cloudflarestorage.com")
    assert driver.region == "auto"


def test_for_provider_refuses_non_s3_providers() -> None:
    with pytest.raises(InvalidOptionError):
        S3StorageDriver.for_provider(Provider.AZURE_BLOBS)
