"""Where and how to reach a storage account: endpoint, account name and authorization.

Resolved once, in the constructor, from (in this order) a connection string, a
``credential`` object, ``key``/``secret``/``sas_token``, then the environment
(``AZURE_STORAGE_CONNECTION_STRING``, ``AZURE_STORAGE_ACCOUNT`` with ``AZURE_STORAGE_KEY``
or ``AZURE_STORAGE_SAS_TOKEN``). Nothing here ever puts a key or token in a message.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AzureNamedKeyCredential, AzureSasCredential

from ...http import Auth
from ...secret import Secret, reveal, wrap
from ...types import InvalidCredsError, InvalidOptionError
from ._auth import BearerTokenAuth, SasAuth, SharedKeyAuth, decode_key

EMULATOR_ACCOUNT = "devstoreaccount1"
EMULATOR_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
"""The well-known, public key of the storage emulators (Azurite)."""
EMULATOR_ENDPOINT = "http://127.0.0.1:10000/devstoreaccount1"


@dataclass(frozen=True)
class AccountConfig:
    """The resolved account: blob endpoint (no trailing slash), name, and how requests are authorized."""

    endpoint: str
    account: str
    auth: Auth | None
    sas_token: Secret[str] | None = None
    """Set when the credential is a SAS (copy sources need it appended); a plain string is wrapped."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sas_token", wrap(self.sas_token))

    @property
    def shared_key(self) -> SharedKeyAuth | None:
        return self.auth if isinstance(self.auth, SharedKeyAuth) else None

    @property
    def bearer(self) -> BearerTokenAuth | None:
        return self.auth if isinstance(self.auth, BearerTokenAuth) else None


def parse_connection_string(text: str) -> dict[str, str]:
    """``Key=Value;...`` pairs with keys lowercased (values keep their ``=`` padding)."""
    pairs = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep:
            raise InvalidOptionError("malformed Azure connection string: every part must be Name=Value")
        pairs[name.strip().lower()] = value.strip()
    return pairs


def resolve(
    key: str | None,
    secret: str | Secret[str] | None,
    sas_token: str | Secret[str] | None,
    credential: Any,
    endpoint_url: str | None,
    connection_string: str | Secret[str] | None,
    environ: Mapping[str, str] = os.environ,
) -> AccountConfig:
    """The account configuration the constructor arguments (or environment) describe.

    Secrets may come as plain strings or as :class:`~storagekit.secret.Secret` (from a profile).
    """
    secret, sas_token, connection_string = reveal(secret), reveal(sas_token), reveal(connection_string)
    credential = reveal(credential) if isinstance(credential, Secret) else credential
    nothing_given = not any((key, secret, sas_token, credential, endpoint_url, connection_string))
    if nothing_given and environ.get("AZURE_STORAGE_CONNECTION_STRING"):
        connection_string = environ["AZURE_STORAGE_CONNECTION_STRING"]
    if connection_string:
        return _from_connection_string(parse_connection_string(connection_string), endpoint_url)
    if key is None and credential is None and not sas_token:
        key = environ.get("AZURE_STORAGE_ACCOUNT")
        secret = environ.get("AZURE_STORAGE_KEY")
        sas_token = environ.get("AZURE_STORAGE_SAS_TOKEN")
    if isinstance(credential, AzureNamedKeyCredential):
        key = key or credential.named_key.name
    account = key or (_account_from_endpoint(endpoint_url) if endpoint_url else None)
    if not account:
        raise InvalidCredsError(
            "no Azure storage account: pass key=<account name> (or a connection string, or endpoint_url), "
            "or set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT"
        )
    endpoint = _endpoint(endpoint_url, account, "https", "core.windows.net")
    return AccountConfig(endpoint, account, *_authorization(account, secret, sas_token, credential))


def _from_connection_string(pairs: dict[str, str], endpoint_url: str | None) -> AccountConfig:
    if pairs.get("usedevelopmentstorage", "").lower() == "true":
        proxy = pairs.get("developmentstorageproxyuri")
        endpoint = f"{proxy.rstrip('/')}:10000/{EMULATOR_ACCOUNT}" if proxy else EMULATOR_ENDPOINT
        return AccountConfig(
            endpoint_url.rstrip("/") if endpoint_url else endpoint, EMULATOR_ACCOUNT,
            *_authorization(EMULATOR_ACCOUNT, EMULATOR_KEY, None, None),
        )
    endpoint_url = endpoint_url or pairs.get("blobendpoint")
    account = pairs.get("accountname") or (_account_from_endpoint(endpoint_url) if endpoint_url else "")
    if not account:
        raise InvalidOptionError("the Azure connection string names no AccountName and no BlobEndpoint")
    endpoint = _endpoint(
        endpoint_url, account, pairs.get("defaultendpointsprotocol", "https"),
        pairs.get("endpointsuffix", "core.windows.net"),
    )
    return AccountConfig(endpoint, account, *_authorization(
        account, pairs.get("accountkey"), pairs.get("sharedaccesssignature"), None,
    ))


def _authorization(
    account: str, secret: str | None, sas_token: str | None, credential: Any
) -> tuple[Auth | None, Secret[str] | None]:
    """The auth callable (and the SAS token, if that is the credential)."""
    if isinstance(credential, str):  # the SDK's convention: an account key or a SAS token
        if "sig=" in credential:
            sas_token = credential
        else:
            secret = credential
        credential = None
    if isinstance(credential, AzureNamedKeyCredential):
        named = credential
        decode_key(named.named_key.key)
        return SharedKeyAuth(lambda: (named.named_key.name, named.named_key.key)), None
    if isinstance(credential, AzureSasCredential):
        sas = credential
        return SasAuth(lambda: sas.signature), Secret(sas.signature.lstrip("?"))
    if credential is not None:
        if not any(callable(getattr(credential, name, None)) for name in ("get_token", "get_token_info")):
            raise InvalidOptionError(
                f"credential must be an AzureNamedKeyCredential, an AzureSasCredential or a TokenCredential, "
                f"not {type(credential).__name__}"
            )
        return BearerTokenAuth(credential), None
    if secret:
        decode_key(secret)
        key = Secret(secret)
        return SharedKeyAuth(lambda: (account, key.reveal())), None
    if sas_token:
        token = Secret(sas_token.lstrip("?"))
        return SasAuth(token.reveal), token
    return None, None


def _account_from_endpoint(endpoint_url: str) -> str:
    """The account name in an endpoint: the first host label, or the first path segment for an IP."""
    parts = urlsplit(endpoint_url)
    if _is_ip_style(parts.hostname or ""):
        return parts.path.strip("/").split("/")[0]
    return (parts.hostname or "").split(".")[0]


def _is_ip_style(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _endpoint(endpoint_url: str | None, account: str, protocol: str, suffix: str) -> str:
    if not endpoint_url:
        return f"{protocol}://{account}.blob.{suffix}"
    parts = urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidOptionError("endpoint_url must be an http(s) URL such as https://account.blob.core.windows.net")
    endpoint = endpoint_url.rstrip("/")
    if _is_ip_style(parts.hostname or "") and not parts.path.strip("/"):
        endpoint += f"/{account}"  # emulators and IP endpoints carry the account in the path
    return endpoint
