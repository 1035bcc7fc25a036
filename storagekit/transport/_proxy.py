"""Proxies from the environment: which one applies to a host, and how to ask it for a tunnel.

``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` name the proxy (lowercase wins, as in
curl and urllib). ``NO_PROXY`` lists hosts reached directly, comma-separated: ``*`` (every
host), a domain (``example.com`` or ``.example.com``: itself and its subdomains), an IP
address or a CIDR range (``10.0.0.0/8``, ``::1``, ``fd00::/8``), each optionally with
``:port``. curl, requests and obstore read it so.
"""

from __future__ import annotations

import base64
import ipaddress
import urllib.request
from urllib.parse import unquote, urlsplit

from ..types import InvalidOptionError
from ._checks import check_text

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def environment_proxy(scheme: str, host: str, port: int) -> str | None:
    """The proxy URL the environment sets for this scheme and origin, or None (none set, or ``NO_PROXY``)."""
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy or bypassed(host, port, proxies.get("no", "")):
        return None
    check_text(proxy, "the proxy URL")
    return proxy if "://" in proxy else f"http://{proxy}"


def bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` (its value ``no_proxy``) sends ``host:port`` straight to the origin."""
    host = host.strip("[]").lower().rstrip(".")
    address = _address(host)
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry == "*":
            return True
        pattern, entry_port = _split_port(entry)
        if not pattern or (entry_port is not None and entry_port != port):
            continue
        if address is not None and "/" in pattern:
            try:
                if address in ipaddress.ip_network(pattern, strict=False):
                    return True
            except ValueError:
                continue
        elif address is not None and _address(pattern) is not None:
            if address == _address(pattern):
                return True
        else:
            domain = pattern.lstrip("*").lstrip(".").rstrip(".")
            if domain and (host == domain or host.endswith("." + domain)):
                return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    """``entry`` without a trailing ``:port``, and that port (an IPv6 address alone keeps its colons)."""
    if entry.startswith("["):
        address, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return address, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        return name, int(port) if port.isdigit() else None
    return entry, None


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def proxy_auth(proxy: str) -> dict[str, str]:
    """A ``Proxy-Authorization`` header for a proxy URL with ``user:password@``."""
    parts = urlsplit(proxy)
    if parts.username is None:
        return {}
    credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return {"Proxy-Authorization": "Basic " + base64.b64encode(credentials).decode()}


def connect_request(host: str, port: int, headers: dict[str, str]) -> bytes:
    """The ``CONNECT`` request asking a proxy for a tunnel to ``host:port``.

    An IPv6 address is bracketed exactly once (``[::1]:443``) in the target and the ``Host``
    header; a host or header with a control character is refused, never sent.

    Raises:
        InvalidOptionError: the host or a header carries CR, LF or another control character.
    """
    bare = host.strip("[]")
    check_text(bare, "the tunnel's host")
    authority = f"[{bare}]:{port}" if ":" in bare else f"{bare}:{port}"
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    for name, value in headers.items():
        check_text(name, "a proxy header's name")
        check_text(value, f"the proxy header {name}", allow_space=True)
        lines.append(f"{name}: {value}")
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
    except UnicodeEncodeError:
        raise InvalidOptionError(f"the tunnel to {authority} has a header that is not ASCII") from None
