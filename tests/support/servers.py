"""Start and stop the real servers the tests run against, on free loopback ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Sequence
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def venv_binary(name: str) -> str:
    """The path of a console binary installed into this interpreter's environment."""
    for directory in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = os.path.join(directory, name)
        if os.path.exists(candidate):
            return candidate
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed: run `pip install -e .[test]` (see README)")
    return found


class ServerProcess:
    """A server subprocess whose output goes to a log file, stopped at the end of the tests."""

    def __init__(self, name: str, argv: Sequence[str], workdir: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            list(argv), stdout=self._log, stderr=subprocess.STDOUT, cwd=workdir,
            env={**os.environ, **(env or {})}, start_new_session=True,
        )

    def wait_until(self, ready, timeout: float = 60.0, what: str = "ready") -> None:  # type: ignore[no-untyped-def]
        """Poll ``ready()`` until it returns true; fail with the server's log if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if ready():
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} was not {what} after {timeout:.0f} s:\n{self.tail()}")

    def tail(self, size: int = 4000) -> str:
        self._log.flush()
        return self.log_path.read_bytes()[-size:].decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
