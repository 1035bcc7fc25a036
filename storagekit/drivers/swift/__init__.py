"""OpenStack Swift and the Swift clouds (Rackspace Cloud Files, OVHcloud, KT ucloud).

Usage::

    from storagekit.providers import get_driver
    from storagekit.types import Provider

    driver = get_driver(Provider.OPENSTACK_SWIFT)("user", "password", auth_url="https://keystone:5000/v3",
                                                  project="demo", region="RegionOne")
"""

from .driver import SwiftStorageDriver
from .presets import PRESETS, SwiftPreset

__all__ = ["PRESETS", "SwiftPreset", "SwiftStorageDriver"]
