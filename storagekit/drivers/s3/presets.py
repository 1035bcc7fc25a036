"""S3 and S3-compatible services as data: one row per provider, no subclass per region.

A preset says where a service lives (an endpoint template filled with the region),
which region to sign for when none is given, and how bucket names go into URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ...types import Provider

Addressing = Literal["virtual", "path"]


@dataclass(frozen=True)
class S3Preset:
    """Where one S3-speaking service lives and how to talk to it."""

    title: str
    endpoint: str | None
    """Host template, ``{region}`` filled in; None: the service has no public endpoint (give one)."""
    region: str | None
    """The region signed for when none is given; None: the caller must choose one."""
    addressing: Addressing = "virtual"
    """Bucket in the host name (``virtual``) or in the path (``path``) on the preset's endpoint."""
    location_constraint: bool = False
    """CreateBucket names the region in a LocationConstraint (AWS; not for us-east-1)."""
    region_endpoints: Mapping[str, str] = field(default_factory=dict)
    """Regions whose host does not follow the template."""
    website: str = ""
    flexible_checksums: bool = False
    """Uploads carry ``x-amz-checksum-crc32c`` (or ``-crc32`` without google-crc32c; multipart: a
    FULL_OBJECT checksum the service checks at completion) instead of Content-MD5: a fraction of
    the CPU, and a checksum downloads can verify whole even for multipart objects. Set for
    services seen to check them (AWS, SeaweedFS 4)."""
    lists_in_order: bool = True
    """ListObjectsV2 answers keys in UTF-8 binary order, as the API says, so a page is streamed as
    it is parsed. SeaweedFS lists a "directory" before names that sort ahead of its ``/``
    (``a/b`` before ``a-b``): its pages are held and sorted."""

    def host_for(self, region: str) -> str | None:
        """The service's host name for a region.

        Args:
            region: the region.

        Returns:
            The host (from ``region_endpoints`` or the template), or None if it has no public endpoint.

        """
        if self.endpoint is None:
            return None
        return self.region_endpoints.get(region) or self.endpoint.format(region=region)


def _aws(region: str, endpoint: str = "s3.{region}.amazonaws.com") -> S3Preset:
    return S3Preset(
        "Amazon S3", endpoint, region, "virtual", location_constraint=True,
        region_endpoints={"us-east-1": "s3.amazonaws.com"}, website="https://aws.amazon.com/s3/",
        flexible_checksums=True,
    )


def _custom(
    title: str, website: str, region: str = "us-east-1", flexible_checksums: bool = False, lists_in_order: bool = True
) -> S3Preset:
    """A server you run yourself: no public endpoint, path-style addressing."""
    return S3Preset(title, None, region, "path", website=website, flexible_checksums=flexible_checksums,
                    lists_in_order=lists_in_order)


# Alphabetical by provider; the S3_* rows are libcloud's region names.
PRESETS: Mapping[Provider, S3Preset] = MappingProxyType({
    Provider.ALIYUN_OSS: S3Preset("Alibaba Cloud OSS", "oss-{region}.aliyuncs.com", "cn-hangzhou",
                                  website="https://www.alibabacloud.com/product/object-storage-service"),
    Provider.AURORAOBJECTS: S3Preset("AuroraObjects", "o.auroraobjects.eu", "us-east-1", "path",
                                     website="https://www.pcextreme.com/aurora/objects"),
    Provider.BACKBLAZE_B2: S3Preset("Backblaze B2", "s3.{region}.backblazeb2.com", None,
                                    website="https://www.backblaze.com/cloud-storage"),
    Provider.CEPH: _custom("Ceph RGW", "https://ceph.io/"),
    Provider.CLOUDFLARE_R2: S3Preset("Cloudflare R2", None, "auto", "path",
                                     website="https://developers.cloudflare.com/r2/"),
    Provider.DIGITALOCEAN_SPACES: S3Preset("DigitalOcean Spaces", "{region}.digitaloceanspaces.com", "nyc3",
                                           website="https://www.digitalocean.com/products/spaces"),
    Provider.HUAWEI_OBS: S3Preset("Huawei OBS", "obs.{region}.myhuaweicloud.com", "cn-north-4",
                                  website="https://www.huaweicloud.com/intl/en-us/product/obs.html"),
    Provider.MINIO: _custom("MinIO", "https://min.io/"),
    Provider.OVH: S3Preset("OVHcloud Object Storage (S3)", "s3.{region}.perf.cloud.ovh.net", "sbg",
                           website="https://www.ovhcloud.com/en/public-cloud/object-storage/"),
    Provider.S3: _aws("us-east-1"),
    Provider.S3_AP_NORTHEAST: _aws("ap-northeast-1"),
    Provider.S3_AP_NORTHEAST1: _aws("ap-northeast-1"),
    Provider.S3_AP_NORTHEAST2: _aws("ap-northeast-2"),
    Provider.S3_AP_SOUTH: _aws("ap-south-1"),
    Provider.S3_AP_SOUTHEAST: _aws("ap-southeast-1"),
    Provider.S3_AP_SOUTHEAST2: _aws("ap-southeast-2"),
    Provider.S3_CA_CENTRAL: _aws("ca-central-1"),
    Provider.S3_CN_NORTH: _aws("cn-north-1", "s3.{region}.amazonaws.com.cn"),
    Provider.S3_CN_NORTHWEST: _aws("cn-northwest-1", "s3.{region}.amazonaws.com.cn"),
    Provider.S3_EU_CENTRAL: _aws("eu-central-1"),
    Provider.S3_EU_NORTH1: _aws("eu-north-1"),
    Provider.S3_EU_WEST: _aws("eu-west-1"),
    Provider.S3_EU_WEST2: _aws("eu-west-2"),
    Provider.S3_EU_WEST3: _aws("eu-west-3"),
    Provider.S3_RGW: _custom("Ceph RGW", "https://ceph.io/", region="default"),
    Provider.S3_RGW_OUTSCALE: S3Preset("OUTSCALE Object Storage", "osu.{region}.outscale.com", "eu-west-2", "path",
                                       region_endpoints={"cn-southeast-1": "osu.cn-southeast-1.outscale.hk"},
                                       website="https://docs.outscale.com/en/userguide/OUTSCALE-Object-Storage-OOS.html"),
    Provider.S3_SA_EAST: _aws("sa-east-1"),
    Provider.S3_US_EAST2: _aws("us-east-2"),
    Provider.S3_US_GOV_WEST: _aws("us-gov-west-1"),
    Provider.S3_US_WEST: _aws("us-west-1"),
    Provider.S3_US_WEST_OREGON: _aws("us-west-2"),
    Provider.SCALEWAY: S3Preset("Scaleway Object Storage", "s3.{region}.scw.cloud", "fr-par",
                                website="https://www.scaleway.com/en/object-storage/"),
    Provider.SEAWEEDFS: _custom("SeaweedFS", "https://github.com/seaweedfs/seaweedfs", flexible_checksums=True,
                                lists_in_order=False),
    Provider.WASABI: S3Preset("Wasabi", "s3.{region}.wasabisys.com", "us-east-1",
                              website="https://wasabi.com/"),
})
"""Every S3-speaking provider of :class:`~storagekit.types.Provider` and its preset."""
