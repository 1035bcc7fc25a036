"""Swift-speaking clouds as data: where each one authenticates, with which protocol, in which region.

A row adds only what a user would otherwise have to say: the identity endpoint, the auth
version (Rackspace: identity v2.0 with an API key) and the default region. Any setting given
to the driver wins over its preset's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ...types import Provider


@dataclass(frozen=True)
class SwiftPreset:
    """Where one Swift cloud logs users in."""

    title: str
    auth_url: str | None = None
    """The identity endpoint; None: the deployment's own (give ``auth_url``)."""
    auth_version: str | None = None
    """``1``, ``2.0_apikey``, ``2.0_password``, ``3.x_password``, ``3.x_appcred``; None: inferred."""
    region: str | None = None
    """The catalog region used when none is given (None: the catalog must offer only one)."""
    website: str = ""


_RACKSPACE = "https://www.rackspace.com/cloud/files"
_US_IDENTITY = "https://identity.api.rackspacecloud.com/v2.0"

# Alphabetical by provider. The CLOUDFILES* names are libcloud's (CLOUDFILES_US and CLOUDFILES_SWIFT
# are its deprecated aliases of CLOUDFILES and OPENSTACK_SWIFT).
PRESETS: Mapping[Provider, SwiftPreset] = MappingProxyType({
    Provider.CLOUDFILES: SwiftPreset("Rackspace Cloud Files", _US_IDENTITY, "2.0_apikey", "ord", _RACKSPACE),
    Provider.CLOUDFILES_SWIFT: SwiftPreset("OpenStack Swift", website="https://docs.openstack.org/swift/"),
    Provider.CLOUDFILES_UK: SwiftPreset("Rackspace Cloud Files (UK)", "https://lon.identity.api.rackspacecloud.com/v2.0",
                                        "2.0_apikey", "lon", _RACKSPACE),
    Provider.CLOUDFILES_US: SwiftPreset("Rackspace Cloud Files (US)", _US_IDENTITY, "2.0_apikey", "ord", _RACKSPACE),
    Provider.KTUCLOUD: SwiftPreset("KT ucloud storage", "https://api.ucloudbiz.olleh.com/storage/v1/auth", "1",
                                   website="https://ucloudbiz.olleh.com/"),
    Provider.OPENSTACK_SWIFT: SwiftPreset("OpenStack Swift", website="https://docs.openstack.org/swift/"),
    Provider.OVH_SWIFT: SwiftPreset("OVHcloud Object Storage (Swift)", "https://auth.cloud.ovh.net/v3", "3.x_password",
                                    "GRA", "https://www.ovhcloud.com/en/public-cloud/object-storage/"),
})
"""Every Swift-speaking provider of :class:`~storagekit.types.Provider` and its preset."""
