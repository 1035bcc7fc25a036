"""``storagekit.testing.ListingTests`` on every driver."""

from __future__ import annotations

from storagekit.testing import ListingTests

from .conftest import OnEveryDriver


class TestListing(OnEveryDriver, ListingTests):
    """The suite's listing tests, once per driver of ``DRIVERS``."""
