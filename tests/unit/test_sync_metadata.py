"""mtime and mode as object metadata, in rclone's names and formats per provider."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storagekit.file_metadata import metadata_for, parse_time_ns, recorded_mode, recorded_mtime_ns, restore
from storagekit.models import Object
from storagekit.types import Provider

STAMP = 1_732_900_000_123_456_789


@pytest.mark.parametrize(("provider", "expected"), [
    (Provider.SEAWEEDFS, {"mtime": "1732900000.123456789", "mode": "100644"}),
    (Provider.LOCAL, {"mtime": "1732900000.123456789", "mode": "100644"}),
    (Provider.AZURE_BLOBS, {"mtime": "2024-11-29T17:06:40.123456789Z", "mode": "100644"}),
    (Provider.GOOGLE_STORAGE, {"mtime": "2024-11-29T17:06:40.123456789Z", "mode": "100644",
                               "goog-reserved-file-mtime": "1732900000"}),
])
def test_written_as_rclone_writes_it(provider: Provider, expected: dict[str, str]) -> None:
    assert metadata_for(STAMP, 0o100644, provider) == expected
    obj = Object("x", 1, None, {}, expected, None, None)  # type: ignore[arg-type]
    assert recorded_mtime_ns(obj) == STAMP and recorded_mode(obj) == 0o644


@pytest.mark.parametrize(("text", "expected"), [
    ("1732900000", 1_732_900_000 * 10**9),
    ("1732900000.5", 1_732_900_000_500_000_000),
    ("2024-11-29T17:06:40Z", 1_732_900_000 * 10**9),
    ("2024-11-29T18:06:40.25+01:00", 1_732_900_000_250_000_000),
    ("Fri, 29 Nov 2024 17:06:40 GMT", 1_732_900_000 * 10**9),
    ("yesterday", None),
])
def test_times_are_read_in_every_form_stores_use(text: str, expected: int | None) -> None:
    assert parse_time_ns(text) == expected


def test_only_permission_bits_are_restored(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("x")
    obj = Object("f", 1, None, {}, {"mode": "104755", "Mtime": "1600000000.000000001"}, None, None)  # type: ignore[arg-type]
    restore(str(path), recorded_mtime_ns(obj), recorded_mode(obj))
    info = os.stat(path)
    assert info.st_mode & 0o7777 == 0o755 and info.st_mtime_ns == 1_600_000_000_000_000_001
    bad = Object("f", 1, None, {}, {"mode": "rwx", "mtime": "soon"}, None, None)  # type: ignore[arg-type]
    assert recorded_mode(bad) is None and recorded_mtime_ns(bad) is None
