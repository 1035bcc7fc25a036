"""The transfer commands' output helpers: the files bar of verify, stats lines."""

from __future__ import annotations

import io

import pytest

from storagekit.cli._report import Meter


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_verify_bar_counts_files_not_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TQDM_MININTERVAL", "0")  # draw every update
    screen = _Terminal()
    with Meter("verify", quiet=False, interval=0, unit="file", stream=screen) as meter:
        for done in range(1, 4):
            meter.update(done, 3, 0, 0)
    drawn = screen.getvalue()
    assert "3/3" in drawn and "file/s" in drawn and "B/s" not in drawn


def test_the_stats_line_has_files_bytes_rate_and_eta() -> None:
    meter = Meter("sync", quiet=True, interval=0)
    meter.update(2, 5, 3 * 1024 * 1024, 6 * 1024 * 1024, "hashed 1.0 MiB")
    line = meter.line()
    assert line.startswith("storagekit: sync: 2/5 files, 3.0 MiB/6.0 MiB (50%), ")
    assert "/s, ETA " in line and line.endswith(", hashed 1.0 MiB")
