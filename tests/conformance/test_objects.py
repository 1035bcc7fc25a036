"""``storagekit.testing.ObjectTests`` on every driver."""

from __future__ import annotations

from storagekit.testing import ObjectTests

from .conftest import OnEveryDriver


class TestObjects(OnEveryDriver, ObjectTests):
    """The suite's objects tests, once per driver of ``DRIVERS``."""
