"""Where and how to reach a storage account: endpoint, account name and authorization.

Resolved once, in the constructor, from (in this order) a connection string, a
``credential`` object, ``key``/``secret``/``sas_token`` (each also from a ``creds`` dict in
the SDK's names), then the environment (``AZURE_STORAGE_CONNECTION_STRING``,
``AZURE_STORAGE_ACCOUNT`` with ``AZURE_STORAGE_KEY`` or ``AZURE_STORAGE_SAS_TOKEN``). An account
with none of these uses azure-identity's ``DefaultAzureCredential`` (the ``azure`` extra: the
environment's service principal, workload identity, managed identity, the Azure CLI login);
without azure-identity it is an InvalidCredsError, never silent anonymous access, which only
``anonymous=True`` asks for. Nothing here ever puts a key or token in a message.
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


CREDS_KEYS = {
    "account_name": "key", "account_key": "secret", "sas_token": "sas_token", "credential": "credential",
    "connection_string": "connection_string", "endpoint_url": "endpoint_url", "account_url": "endpoint_url",
}
"""The keys a ``creds`` dict may hold (the Azure SDK's and adlfs's names) and the argument each stands for."""


def resolve(
    key: str | None,
    secret: str | Secret[str] | None,
    sas_token: str | Secret[str] | None,
    credential: Any,
    endpoint_url: str | None,
    connection_string: str | Secret[str] | None,
    environ: Mapping[str, str] = os.environ,
    *,
    creds: Mapping[str, Any] | None = None,
    anonymous: bool = False,
) -> AccountConfig:
    """The account configuration the constructor arguments (or environment) describe.

    Secrets may come as plain strings or as :class:`~storagekit.secret.Secret` (from a profile).

    Args:
        key, secret, sas_token, credential, endpoint_url, connection_string: the constructor's arguments.
        environ: the environment to read.
        creds: the same settings as a dict in the SDK's names (:data:`CREDS_KEYS`); arguments win.
        anonymous: send no credential at all (public containers); nothing else may be given.

    Returns:
        The endpoint, account and authorization.

    Raises:
        InvalidCredsError: no account, or an account with no credential and no azure-identity.
        InvalidOptionError: a malformed connection string, endpoint, credential, key or ``creds`` dict.
    """
    if creds:
        key, secret, sas_token, credential, endpoint_url, connection_string = _with_creds(
            creds, key=key, secret=secret, sas_token=sas_token, credential=credential, endpoint_url=endpoint_url,
            connection_string=connection_string)
    if anonymous:
        if any((secret, sas_token, credential, connection_string)):
            raise InvalidOptionError("anonymous=True sends no credential, so it cannot go with one")
        account = key or environ.get("AZURE_STORAGE_ACCOUNT")
        account = account or (_account_from_endpoint(endpoint_url) if endpoint_url else None)
        if not account:
            raise InvalidCredsError("no Azure storage account: pass key=<account name> or endpoint_url")
        return AccountConfig(_endpoint(endpoint_url, account, "https", "core.windows.net"), account, None)
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


def _with_creds(creds: Mapping[str, Any], **arguments: Any) -> tuple[Any, ...]:
    """The arguments, each one not given taken from ``creds`` (unknown keys named, values never shown)."""
    if not isinstance(creds, Mapping):
        raise InvalidOptionError(f"creds must be a dict (keys: {', '.join(CREDS_KEYS)}), not {type(creds).__name__}")
    unknown = sorted(set(creds) - set(CREDS_KEYS))
    if unknown:
        raise InvalidOptionError(
            f"unknown key(s) {', '.join(map(str, unknown))} in creds (known: {', '.join(CREDS_KEYS)})"
        )
    for name, value in creds.items():
        argument = CREDS_KEYS[name]
        if arguments[argument] is None:
            arguments[argument] = value
    names = ("key", "secret", "sas_token", "credential", "endpoint_url", "connection_string")
    return tuple(arguments[name] for name in names)


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
    return BearerTokenAuth(_default_credential(account)), None


def _default_credential(account: str) -> Any:
    """azure-identity's ``DefaultAzureCredential``, for an account given no key, SAS or credential.

    Raises:
        InvalidCredsError: azure-identity is not installed, or rejects its configuration
            (``AZURE_TOKEN_CREDENTIALS`` naming no credential); the message says what to pass instead.
    """
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise InvalidCredsError(
            f"no credential for the Azure storage account {account}: pass secret=<account key>, sas_token=, "
            "connection_string= or credential=, set AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or install "
            "azure-identity (the storagekit[azure] extra) to use DefaultAzureCredential (service principal from "
            "the environment, workload identity, managed identity, Azure CLI login); anonymous=True reads "
            "public containers"
        ) from None
    try:
        return DefaultAzureCredential()
    except ValueError as error:
        raise InvalidCredsError(f"DefaultAzureCredential cannot start: {error}") from None


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
