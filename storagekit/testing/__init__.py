"""The conformance suite, for any driver: storagekit's own drivers run it, and so can a plugin's.

This package imports pytest, which the core never needs: install ``storagekit[test]`` (or
pytest alone) to use it. Nothing else in storagekit imports it.

Each class below is a pytest mix-in of tests about one area. A test module mixes in the
classes it wants and provides a ``driver`` fixture (module or class scope: the listing tests
fill one container per class); every test then runs against that driver::

    import pytest

    from storagekit.testing import ConformanceTests

    class TestAcmeDriver(ConformanceTests):
        @pytest.fixture(scope="class")
        def driver(self):
            return AcmeStorageDriver("key", "secret", endpoint_url="http://127.0.0.1:9000")

A store that gets something wrong lists it in a ``server_gaps`` fixture (test function name to
the reason): those tests become strict xfails, which fail the day the store is fixed.

Tests read :class:`~storagekit.base.Capabilities` rather than catching ``NotImplementedError``:
a driver without signed URLs must raise :class:`~storagekit.types.NotSupportedError` for them,
one without multipart uploads is never asked for parts, and so on.
"""

from __future__ import annotations

from .containers import ContainerTests
from .downloads import DownloadTests
from .files import FileTests
from .fixtures import DriverTests, empty_and_delete, unique_name
from .listing import ListingTests
from .objects import ObjectTests
from .uploads import UploadTests

__all__ = [
    "ConformanceTests",
    "ContainerTests",
    "DownloadTests",
    "DriverTests",
    "FileTests",
    "ListingTests",
    "ObjectTests",
    "UploadTests",
    "empty_and_delete",
    "unique_name",
]


class ConformanceTests(ContainerTests, ObjectTests, UploadTests, DownloadTests, ListingTests, FileTests):
    """Every test of the suite in one class: mix it in and provide ``driver``."""
