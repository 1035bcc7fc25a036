"""``storagekit.testing.FileTests`` on every driver."""

from __future__ import annotations

from storagekit.testing import FileTests

from .conftest import OnEveryDriver


class TestFiles(OnEveryDriver, FileTests):
    """The suite's files tests, once per driver of ``DRIVERS``."""
