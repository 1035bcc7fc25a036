"""OpenStack Swift all in one process: run by the Swift venv's Python, not by the tests' interpreter.

Usage: ``python swift_aio.py CONF_DIR``. ``CONF_DIR`` holds ``swift.conf`` and one
``<name>-server.conf`` per server (written by :mod:`tests.support.swift`), each with a
``bind_port``. This builds the three rings (``RingBuilder(8, 1, 1)``: 256 partitions, one
replica, one device ``sdb1`` each) and serves every ``*-server.conf`` found, account,
container, object and the proxies, from green threads of this one process: no daemons, no
memcached, nothing read from ``/etc/swift``. It imports nothing of storagekit.
"""

from __future__ import annotations

import configparser
import os
import sys

# This file's directory holds tests/support/swift.py, which must not shadow the swift package.
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != os.path.dirname(__file__)]

import eventlet  # noqa: E402

eventlet.monkey_patch()

from eventlet import wsgi  # noqa: E402
from paste.deploy import loadapp  # noqa: E402
from swift.common.http_protocol import SwiftHttpProtocol  # noqa: E402
from swift.common.ring import RingBuilder  # noqa: E402
from swift.common.utils import set_swift_dir  # noqa: E402


def _port(conf: str) -> int:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(conf)
    return int(parser["DEFAULT"]["bind_port"])


def build_ring(conf_dir: str, kind: str, port: int) -> None:
    """``<kind>.ring.gz`` with one device on 127.0.0.1:``port``."""
    builder = RingBuilder(8, 1, 1)
    builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": port, "device": "sdb1",
                     "weight": 100, "meta": ""})
    builder.rebalance()
    builder.get_ring().save(os.path.join(conf_dir, f"{kind}.ring.gz"))


def main(conf_dir: str) -> None:
    set_swift_dir(conf_dir)
    confs = sorted(name for name in os.listdir(conf_dir) if name.endswith("-server.conf"))
    for kind in ("account", "container", "object"):
        build_ring(conf_dir, kind, _port(os.path.join(conf_dir, f"{kind}-server.conf")))
    pool = eventlet.GreenPool()
    for name in confs:
        path = os.path.join(conf_dir, name)
        app = loadapp(f"config:{path}")
        sock = eventlet.listen(("127.0.0.1", _port(path)))
        pool.spawn(wsgi.server, sock, app, protocol=SwiftHttpProtocol, log_output=False, max_size=1000,
                   socket_timeout=60)
    print("swift-aio serving", ", ".join(confs), flush=True)
    pool.waitall()


if __name__ == "__main__":
    main(sys.argv[1])
