"""``storagekit.testing.DownloadTests`` on every driver."""

from __future__ import annotations

from storagekit.testing import DownloadTests

from .conftest import OnEveryDriver


class TestDownloads(OnEveryDriver, DownloadTests):
    """The suite's downloads tests, once per driver of ``DRIVERS``."""
