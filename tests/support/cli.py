"""Running the real ``storagekit`` command: in this process (``main``) or as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from storagekit.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``storagekit ARGV`` in this process: exit status, stdout, stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run a command that must succeed; its standard output."""
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return out


def run_process(*argv: str, env: dict[str, str] | None = None, input: str | None = None,
                cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m storagekit.cli ARGV`` as a subprocess, with this checkout first on its path."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    environment = {**os.environ, **(env or {}),
                   "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "storagekit.cli", *argv], capture_output=True, text=True,
                          env=environment, input=input, cwd=cwd, check=False, timeout=120)
