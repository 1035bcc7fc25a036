"""The ``storagekit`` command on ``swift://`` locations, logged in through python-swiftclient's variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from storagekit.models import Container
from tests.support.cli import ok
from tests.support.swift import SwiftServer


def test_cp_ls_and_cat_on_swift_urls(swift_server: SwiftServer, container: Container, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_AUTH", swift_server.auth_url)
    monkeypatch.setenv("ST_USER", swift_server.user)
    monkeypatch.setenv("ST_KEY", swift_server.key)
    source = tmp_path / "report.txt"
    source.write_bytes(b"quarterly numbers\n")
    ok(capsys, "cp", str(source), f"swift://{container.name}/docs/report.txt")
    assert "docs/report.txt" in ok(capsys, "ls", "-r", f"swift://{container.name}/")
    ok(capsys, "cp", f"swift://{container.name}/docs/report.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_bytes() == b"quarterly numbers\n"
