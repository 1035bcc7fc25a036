"""Container credentials: ECS tasks (``..._RELATIVE_URI``) and EKS Pod Identity / others (``..._FULL_URI``).

The endpoint answers a JSON document (``AccessKeyId``, ``SecretAccessKey``, ``Token``,
``Expiration``). A full URI must be HTTPS, or plain HTTP to a loopback or link-local address
(the ECS and EKS agents), so the authorization token never crosses a network in clear.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from ...types import InvalidCredsError
from . import endpoint
from .base import AwsCredentials, parse_time, read_token_file

ECS_HOST = "http://169.254.170.2"
_ALLOWED_HOSTS = frozenset({"localhost", "169.254.170.2", "169.254.170.23", "fd00:ec2::23"})


def allowed_plain_http(host: str) -> bool:
    """True for hosts a plain-HTTP full URI may name: loopback, link-local, the agents' addresses."""
    if host.lower() in _ALLOWED_HOSTS:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_link_local


@dataclass(frozen=True)
class ContainerProvider:
    """Reads the ``AWS_CONTAINER_*`` variables when loaded and asks the endpoint they name."""

    timeout: float = 2.0
    attempts: int = 3
    name: str = "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI)"

    def load(self) -> AwsCredentials | None:
        """The task's or pod's credentials, or None when no container endpoint is configured.

        Raises:
            InvalidCredsError: the URI is not allowed, the token file is unreadable, or the
                endpoint refuses or answers without credentials.
        """
        environ = os.environ
        relative = environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        full = environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        if relative:
            url = f"{ECS_HOST}{relative if relative.startswith('/') else '/' + relative}"
        elif full:
            url = full
            parts = urlsplit(full)
            if parts.scheme != "https" and not (parts.scheme == "http" and allowed_plain_http(parts.hostname or "")):
                raise InvalidCredsError("AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback "
                                        "or link-local address")
        else:
            return None
        headers = {}
        token = self._authorization(environ)
        if token:
            headers["Authorization"] = token
        what = "the container credentials endpoint"
        response = endpoint.call("GET", url, what, headers=headers, timeout=self.timeout, attempts=self.attempts)
        document = endpoint.json_body(response, what)
        expiration = document.get("Expiration")
        return AwsCredentials.of(document.get("AccessKeyId"), document.get("SecretAccessKey"), document.get("Token"),
                                 parse_time(expiration) if expiration else None, "container credentials endpoint")

    @staticmethod
    def _authorization(environ: os._Environ[str]) -> str | None:
        path = environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        if path:
            token = read_token_file(path, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        else:
            token = environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN", "")
        if "\r" in token or "\n" in token:
            raise InvalidCredsError("the container authorization token holds a line break")
        return token or None


__all__ = ["ContainerProvider", "allowed_plain_http"]
