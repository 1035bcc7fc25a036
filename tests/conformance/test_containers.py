"""``storagekit.testing.ContainerTests`` on every driver."""

from __future__ import annotations

from storagekit.testing import ContainerTests

from .conftest import OnEveryDriver


class TestContainers(OnEveryDriver, ContainerTests):
    """The suite's containers tests, once per driver of ``DRIVERS``."""
