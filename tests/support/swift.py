"""Fixtures: OpenStack Swift 2.38 all in one process, and Swift drivers on it.

Swift comes from PyPI (``swift==2.38.*``) installed on first use into a venv of its own,
``<repo>/.cache/swift-venv`` (git-ignored; about 11 s once), or ``$STORAGEKIT_SWIFT_PYTHON``
if set (a Python with swift installed). :func:`start_swift` writes the configuration under a
temporary directory (so ``/etc/swift`` is never read) and runs ``swift_aio.py``, which builds
the rings and serves the account, container and object servers and two proxies from one
process: the main proxy, and a second one whose tokens live only ``SHORT_TOKEN_LIFE``
seconds, for the renewal tests (they share the fernet key, so each accepts the other's tokens
within its own ``token_life``). The proxy pipeline is tempauth with fernet tokens (no
memcached), bulk, tempurl, copy, slo, dlo, versioned_writes and symlink; a ``cache`` filter
points at a dead address, so a malformed token is a 401, not a 500.

Known gaps of this all-in-one server: no background daemons run, so account byte counts stay
0 and objects past ``X-Delete-At`` stay listed (reads of them are refused).
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from storagekit.base import StorageDriver
from storagekit.providers import get_driver
from storagekit.types import Provider

from .servers import REPO, ServerProcess, free_port

SWIFT_REQUIREMENT = "swift==2.38.*"
SWIFT_VENV = REPO / ".cache" / "swift-venv"
ACCOUNT = "test"
USER = "tester"
KEY = "testing"
TEMP_URL_KEY = "storagekit-temp-url-key"
SHORT_TOKEN_LIFE = 2
"""Seconds the second proxy's tokens live."""
_LAUNCHER = Path(__file__).with_name("swift_aio.py")
_FILTERS = {
    "catch_errors": {}, "gatekeeper": {}, "healthcheck": {}, "proxy-logging": {}, "listing_formats": {},
    "bulk": {}, "copy": {}, "dlo": {}, "versioned_writes": {}, "symlink": {},
    "slo": {"min_segment_size": "1"},
    "tempurl": {"methods": "GET HEAD PUT POST DELETE"},
}
_PIPELINE = ("catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl tempauth copy "
             "slo dlo versioned_writes symlink proxy-logging proxy-server")


def swift_python() -> str:
    """A Python with swift installed: ``$STORAGEKIT_SWIFT_PYTHON``, else the venv, made on first use."""
    configured = os.environ.get("STORAGEKIT_SWIFT_PYTHON")
    if configured:
        return configured
    python = SWIFT_VENV / "bin" / "python"
    marker = SWIFT_VENV / ".installed"
    if not marker.exists():
        venv.create(SWIFT_VENV, with_pip=True, clear=True)
        result = subprocess.run([str(python), "-m", "pip", "install", "-q", SWIFT_REQUIREMENT],
                                capture_output=True, text=True, timeout=900, check=False)
        if result.returncode != 0:
            output = result.stdout[-2000:] + result.stderr[-2000:]
            raise RuntimeError(f"pip install {SWIFT_REQUIREMENT} failed:\n{output}")
        marker.write_text(SWIFT_REQUIREMENT)
    return str(python)


@dataclass(frozen=True)
class SwiftServer:
    """A running Swift: its proxies, tempauth login and the account's storage URL."""

    endpoint: str
    short_token_endpoint: str
    conf_dir: Path
    user: str = f"{ACCOUNT}:{USER}"
    key: str = field(default=KEY, repr=False)

    @property
    def auth_url(self) -> str:
        return f"{self.endpoint}/auth/v1.0"

    @property
    def storage_url(self) -> str:
        return f"{self.endpoint}/v1/AUTH_{ACCOUNT}"

    def login(self) -> tuple[str, str]:
        """(storage URL, token) from a tempauth login with requests (no storagekit involved)."""
        response = requests.get(self.auth_url, headers={"X-Auth-User": self.user, "X-Auth-Key": self.key}, timeout=10)
        response.raise_for_status()
        return response.headers["X-Storage-Url"], response.headers["X-Auth-Token"]

    def driver(self, **options: Any) -> StorageDriver:
        """A fresh driver logging in with tempauth (``options`` override the defaults)."""
        arguments: dict[str, Any] = {"key": self.user, "secret": self.key, "auth_url": self.auth_url, **options}
        return get_driver(Provider.OPENSTACK_SWIFT)(**arguments)


def _conf(sections: dict[str, dict[str, str]]) -> str:
    return "".join(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()) + "\n"
                   for name, values in sections.items())


def _write_configs(conf_dir: Path, ports: dict[str, int], fernet_key: str) -> None:
    devices = conf_dir / "srv"
    (devices / "sdb1").mkdir(parents=True, exist_ok=True)
    (conf_dir / "swift.conf").write_text(_conf({
        "swift-hash": {"swift_hash_path_suffix": secrets.token_hex(8)},
        "storage-policy:0": {"name": "gold", "default": "yes"},
    }))
    common = {"bind_ip": "127.0.0.1", "swift_dir": str(conf_dir), "devices": str(devices),
              "mount_check": "false", "workers": "0", "log_level": "WARNING", "log_address": "/dev/null"}
    for kind in ("account", "container", "object"):
        (conf_dir / f"{kind}-server.conf").write_text(_conf({
            "DEFAULT": {**common, "bind_port": str(ports[kind])},
            "pipeline:main": {"pipeline": f"{kind}-server"},
            f"app:{kind}-server": {"use": f"egg:swift#{kind}"},
        }))
    for proxy, token_life in (("proxy", 86400), ("proxy-short", SHORT_TOKEN_LIFE)):
        sections = {
            "DEFAULT": {**common, "bind_port": str(ports[proxy])},
            "pipeline:main": {"pipeline": _PIPELINE},
            "app:proxy-server": {"use": "egg:swift#proxy", "account_autocreate": "true",
                                 "allow_account_management": "true"},
            "filter:tempauth": {"use": "egg:swift#tempauth", f"user_{ACCOUNT}_{USER}": f"{KEY} .admin",
                                "fernet_key_k1": fernet_key, "active_fernet_key_id": "k1",
                                "token_life": str(token_life)},
            "filter:cache": {"use": "egg:swift#memcache", "memcache_servers": f"127.0.0.1:{ports['dead']}"},
            **{f"filter:{name}": {"use": f"egg:swift#{name.replace('-', '_')}", **values}
               for name, values in _FILTERS.items()},
        }
        (conf_dir / f"{proxy}-server.conf").write_text(_conf(sections))


@contextlib.contextmanager
def start_swift(workdir: Path) -> Iterator[SwiftServer]:
    """Swift 2.38 on free ports, ``workdir`` holding its configuration and data; ready in about 0.5 s."""
    workdir.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in ("account", "container", "object", "proxy", "proxy-short", "dead")}
    _write_configs(workdir, ports, base64.urlsafe_b64encode(os.urandom(32)).decode())
    argv = [swift_python(), "-W", "ignore::DeprecationWarning", str(_LAUNCHER), str(workdir)]
    server = ServerProcess("swift", argv, workdir)
    endpoint = f"http://127.0.0.1:{ports['proxy']}"
    swift = SwiftServer(endpoint, f"http://127.0.0.1:{ports['proxy-short']}", workdir)
    try:
        server.wait_until(lambda: requests.get(f"{endpoint}/healthcheck", timeout=2).ok
                          and requests.get(f"{swift.short_token_endpoint}/healthcheck", timeout=2).ok,
                          timeout=60, what="answering /healthcheck")
        storage_url, token = swift.login()
        requests.post(storage_url, headers={"X-Auth-Token": token, "X-Account-Meta-Temp-URL-Key": TEMP_URL_KEY},
                      timeout=10).raise_for_status()
        yield swift
    finally:
        server.stop()


@pytest.fixture(scope="session")
def swift_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwiftServer]:
    """Swift all in one on free ports, stopped after the session."""
    try:
        swift_python()
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        pytest.fail(f"could not install {SWIFT_REQUIREMENT}: {error}")
    with start_swift(tmp_path_factory.mktemp("swift")) as server:
        yield server


@pytest.fixture(scope="session")
def swift_driver(swift_server: SwiftServer) -> StorageDriver:
    driver = swift_server.driver()
    driver.list_page_size = 1000  # type: ignore[attr-defined]  # so the conformance listing crosses pages
    return driver


@pytest.fixture(scope="session")
def swift_server_gaps() -> dict[str, str]:
    """Conformance tests the Swift protocol cannot pass (Swift itself, not only this server)."""
    return {
        "test_if_match_write": (
            "Swift has no conditional PUT on If-Match (only If-None-Match: *); the driver refuses if_match with "
            "NotSupportedError rather than race a HEAD (tests/integration/swift/test_swift_objects.py::"
            "test_if_match_is_refused)"),
    }


if __name__ == "__main__":  # pragma: no cover - a manual check: python -m tests.support.swift
    with start_swift(Path(sys.argv[1])) as running:
        print(running)
