"""``storagekit.testing.UploadTests`` on every driver."""

from __future__ import annotations

from storagekit.testing import UploadTests

from .conftest import OnEveryDriver


class TestUploads(OnEveryDriver, UploadTests):
    """The suite's uploads tests, once per driver of ``DRIVERS``."""
