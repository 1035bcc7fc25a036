"""libcloud's Azure constructor arguments, translated: ``host``/``port``/``secure`` to an endpoint,
``auth_type="azureAd"`` with ``tenant_id``/``identity`` to an Entra ID credential.

libcloud's rule for the endpoint (``AzureBlobsStorageDriver._ex_connection_class_kwargs``): no
host means ``<account>.blob.core.windows.net``; a host ending in a sovereign or private-link
suffix means ``<account>.<suffix>``; any other host (Azurite, IoT Edge) carries the account as
the first path segment, ``http://127.0.0.1:10000/devstoreaccount1``. The public suffix is
treated as a suffix too (libcloud would put the account in the path there, which the service
refuses).
"""

from __future__ import annotations

from typing import Any

from ...types import InvalidCredsError, InvalidOptionError

SUFFIXES = (
    "privatelink.blob.core.windows.net",
    "blob.core.windows.net",
    "blob.core.chinacloudapi.cn",
    "blob.core.usgovcloudapi.net",
)
"""Hosts under which an account is a host-name label (longest first: private link before public)."""

AUTHORITIES = {
    "default": None,
    "AzureCloud": None,
    "AzureChinaCloud": "login.chinacloudapi.cn",
    "AzureUSGovernment": "login.microsoftonline.us",
}
"""libcloud's ``cloud_environment`` names and the Entra authority host each signs in at (None: azure-identity's)."""


def endpoint(account: str, secure: Any, host: str | None, port: int | None) -> str:
    """The blob endpoint libcloud's ``(key, secret, secure, host, port)`` describe.

    Raises:
        InvalidOptionError: ``secure`` is not a bool (a positional argument out of place), or
            ``port`` is not a port number.
    """
    if secure not in (True, False):
        raise InvalidOptionError(f"secure must be True or False, not a {type(secure).__name__}")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536):
        raise InvalidOptionError(f"port must be a TCP port number, not {port!r}")
    scheme = "https" if secure else "http"
    where = f":{port}" if port else ""
    if not host:
        return f"{scheme}://{account}.blob.core.windows.net{where}"
    suffix = next((suffix for suffix in SUFFIXES if host == suffix or host.endswith("." + suffix)), None)
    if suffix is not None:
        return f"{scheme}://{account}.{suffix}{where}"
    return f"{scheme}://{host}{where}/{account}"


def entra_credential(tenant_id: str | None, identity: str | None, secret: str | None,
                     cloud_environment: str = "default") -> Any:
    """azure-identity's ``ClientSecretCredential`` for libcloud's ``auth_type="azureAd"``.

    Raises:
        InvalidCredsError: the tenant, client id (``identity``) or client secret is missing, or
            azure-identity (the ``azure`` extra) is not installed.
        InvalidOptionError: an unknown ``cloud_environment``.
    """
    if not (tenant_id and identity and secret):
        missing = [label for label, value in (("tenant_id", tenant_id), ("identity (the client id)", identity),
                                              ("secret (the client secret)", secret)) if not value]
        raise InvalidCredsError(f"auth_type='azureAd' needs {', '.join(missing)}")
    if cloud_environment not in AUTHORITIES:
        raise InvalidOptionError(
            f"unknown cloud_environment {cloud_environment!r} (known: {', '.join(AUTHORITIES)})"
        )
    try:
        from azure.identity import ClientSecretCredential
    except ImportError:
        raise InvalidCredsError(
            "auth_type='azureAd' needs azure-identity: install the storagekit[azure] extra"
        ) from None
    authority = AUTHORITIES[cloud_environment]
    return ClientSecretCredential(tenant_id, identity, secret, **({"authority": authority} if authority else {}))
