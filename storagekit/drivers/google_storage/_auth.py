"""Google credentials for the GCS driver: every accepted form resolved once, tokens kept fresh.

Accepted forms (see :func:`resolve`): libcloud's ``key`` (service-account email) plus
``secret`` (its JSON key file, or the PEM private key itself); ``credentials`` (or its synonym
``creds``, so ``open_url(url, creds=...)`` reads the same for every provider) as a key-file
path, the key file's dict or JSON text, any google-auth ``Credentials``, ``"anonymous"``, or
``"default"`` / ``"cache"`` for application default credentials (Deep Lake's and gcsfs's
spellings); nothing at all for application default credentials, or anonymous access to
``STORAGE_EMULATOR_HOST``. Key material (a PEM key, a key file's JSON text) may also come as a
:class:`~storagekit.secret.Secret`. Neither key material nor the path of a key file is ever
quoted in a message, whether it parses or not: a "path" may be key material passed by mistake.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import google.auth
import google.auth.credentials
import google.auth.exceptions
import requests
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import service_account

from ...http import redact
from ...secret import Secret, reveal
from ...transport import Request
from ...types import ConnectionBrokenError, InvalidCredsError, InvalidOptionError

SCOPES = ("https://www.googleapis.com/auth/devstorage.full_control",)
ANONYMOUS = "anonymous"
_ANONYMOUS_SPELLINGS = frozenset({ANONYMOUS, "anon"})
_DEFAULT_SPELLINGS = frozenset({"default", "cache", "google_default"})
"""``credentials`` values that mean application default credentials (Deep Lake's, gcsfs's)."""
_BROWSER = "browser"
_ADC_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
DEFAULT_ENDPOINT = "https://storage.googleapis.com"
_TOKEN_URI = "https://oauth2.googleapis.com/token"


@dataclass(frozen=True)
class Resolved:
    """What the constructor arguments and environment amount to."""

    credentials: google.auth.credentials.Credentials | None
    """None means anonymous: no Authorization header at all."""
    project: str | None
    endpoint: str


def resolve(
    key: str | None,
    secret: str | Secret[str] | None,
    project: str | None,
    credentials: Any,
    endpoint_url: str | None,
    environ: Mapping[str, str] = os.environ,
    creds: Any = None,
) -> Resolved:
    """Turn the driver's constructor arguments into credentials, a project and an endpoint.

    Args:
        key, secret: libcloud's form (service-account email and its key file or PEM key).
        project: the project; else the credentials', else ``GOOGLE_CLOUD_PROJECT`` / ``GCLOUD_PROJECT``.
        credentials: any form the module docstring lists.
        endpoint_url: another endpoint; else ``STORAGE_EMULATOR_HOST``, else Google's.
        environ: the environment to read.
        creds: a synonym of ``credentials`` (giving both, different, is an error).

    Returns:
        The resolved credentials (None: anonymous), project and endpoint.

    Raises:
        InvalidCredsError: credentials cannot be loaded, or ``"browser"`` was asked for; the message
            never quotes key material or a key file's path.
        InvalidOptionError: ``credentials`` and ``creds`` both given, and not the same.
    """
    secret = reveal(secret)
    credentials = _one_of(credentials, creds)
    credentials = reveal(credentials) if isinstance(credentials, Secret) else credentials
    emulator = environ.get("STORAGE_EMULATOR_HOST")
    endpoint = (endpoint_url or (emulator and _with_scheme(emulator)) or DEFAULT_ENDPOINT).rstrip("/")
    found_project: str | None = None
    if key is not None or secret is not None:
        loaded, found_project = _from_key_and_secret(key, secret)
    elif credentials is None:
        if emulator and not endpoint_url:
            loaded = None
        else:
            loaded, found_project = _default(environ)
    elif isinstance(credentials, str) and credentials.strip().lower() in _ANONYMOUS_SPELLINGS:
        loaded = None
    elif isinstance(credentials, str) and credentials.strip().lower() in _DEFAULT_SPELLINGS:
        loaded, found_project = _default(environ)
    elif isinstance(credentials, str) and credentials.strip().lower() == _BROWSER:
        raise InvalidCredsError(
            "credentials='browser' (an interactive login) is not supported: run "
            "`gcloud auth application-default login` once, then pass credentials='default' (or nothing)"
        )
    elif isinstance(credentials, str) and _is_json_text(credentials):
        loaded, found_project = _from_info(_parse_json_text(credentials), "the credentials JSON text")
    elif isinstance(credentials, (str, os.PathLike)):
        loaded, found_project = _from_file(os.fspath(credentials))
    elif isinstance(credentials, Mapping):
        loaded, found_project = _from_info(dict(credentials), "the credentials dict")
    elif isinstance(credentials, google.auth.credentials.AnonymousCredentials):
        loaded = None
    elif isinstance(credentials, google.auth.credentials.Credentials):
        loaded = google.auth.credentials.with_scopes_if_required(credentials, SCOPES)
        found_project = getattr(credentials, "project_id", None) or getattr(credentials, "quota_project_id", None)
    else:
        raise InvalidCredsError(
            "credentials must be a key-file path, its dict or JSON text, google-auth Credentials, 'anonymous' "
            f"or 'default', not {type(credentials).__name__}"
        )
    project = project or found_project or environ.get("GOOGLE_CLOUD_PROJECT") or environ.get("GCLOUD_PROJECT")
    return Resolved(loaded, project, endpoint)


def _one_of(credentials: Any, creds: Any) -> Any:
    """``credentials`` or its synonym ``creds``; both, unless equal, is an error (neither is shown)."""
    if credentials is None or creds is None:
        return creds if credentials is None else credentials
    if credentials is creds or _same(credentials, creds):
        return credentials
    raise InvalidOptionError("credentials= and creds= are synonyms: give one of them")


def _same(first: Any, second: Any) -> bool:
    try:
        return bool(first == second)
    except Exception:  # noqa: BLE001 - an object that cannot be compared is not the same
        return False


def _with_scheme(host: str) -> str:
    return host if "://" in host else f"http://{host}"


def _from_key_and_secret(key: str | None, secret: str | None) -> tuple[Any, str | None]:
    """libcloud's form: key = the service account's email, secret = its key file (or PEM key)."""
    if not key or not secret:
        raise InvalidCredsError("key (the service-account email) and secret (its JSON key file) go together")
    if secret.lstrip().startswith("-----BEGIN"):
        info = {"type": "service_account", "client_email": key, "private_key": secret, "token_uri": _TOKEN_URI}
        return _from_info(info, f"the private key given for {key}")
    if _is_json_text(secret):
        info, where = _parse_json_text(secret), "the key file JSON text given as secret"
    else:
        info, where = _read_key_file(secret), "the key file given as secret"
    if info.get("client_email") not in (None, key):
        raise InvalidCredsError(f"{where} belongs to {info.get('client_email')}, not to {key}")
    return _from_info(info, where)


def _from_file(path: str) -> tuple[Any, str | None]:
    return _from_info(_read_key_file(path), "the key file given as credentials")


def _is_json_text(value: str) -> bool:
    """A key file's content rather than its path (a path never starts with a brace)."""
    return value.lstrip().startswith("{")


def _parse_json_text(text: str) -> dict[str, Any]:
    """A key file's JSON content; InvalidCredsError that says where it broke, never what it holds."""
    try:
        info = json.loads(text)
    except ValueError as error:
        position = f" at line {error.lineno}, column {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
        raise InvalidCredsError(f"the credentials JSON text does not parse{position}") from None
    if not isinstance(info, dict):
        raise InvalidCredsError("the credentials JSON text does not hold a JSON object")
    return info


def _read_key_file(path: str) -> dict[str, Any]:
    """A key file's content; InvalidCredsError that says what went wrong, never the path or content.

    The path is not shown: text taken for a path may be key material (a PEM body, a base64 key)
    passed by mistake, and no rule tells the two apart for certain.
    """
    try:
        with open(path, encoding="utf-8") as file:
            info = json.load(file)
    except OSError as error:
        raise InvalidCredsError(
            f"cannot read the key file given ({error.strerror or type(error).__name__}; its path is not shown)"
        ) from None
    except ValueError:
        raise InvalidCredsError("the key file given is not JSON (P12 keys are not supported)") from None
    if not isinstance(info, dict):
        raise InvalidCredsError("the key file given does not hold a JSON object")
    return info


def _from_info(info: dict[str, Any], where: str) -> tuple[Any, str | None]:
    """Credentials from a key file's content (service account, authorized user, external account)."""
    try:
        if info.get("type", "service_account") == "service_account":
            creds: Any = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        else:
            creds, _ = google.auth.load_credentials_from_dict(info, scopes=SCOPES)
    except (ValueError, KeyError, TypeError, google.auth.exceptions.GoogleAuthError) as error:
        raise InvalidCredsError(f"{where} does not hold usable Google credentials ({_describe(error)})") from None
    return creds, info.get("project_id") or info.get("quota_project_id")


def _default(environ: Mapping[str, str]) -> tuple[Any, str | None]:
    """Application default credentials; the message never shows ``GOOGLE_APPLICATION_CREDENTIALS``'s value."""
    try:
        return google.auth.default(scopes=SCOPES)
    except google.auth.exceptions.DefaultCredentialsError as error:
        adc_file = environ.get(_ADC_ENV)
        reason = (f"{_ADC_ENV} is set, but the file it names does not hold usable credentials"
                  if adc_file else _describe(error))
        raise InvalidCredsError(
            f"no credentials given and no application default credentials found ({reason}); run "
            "`gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS to a key file, "
            "or pass credentials='anonymous' for public data"
        ) from None


def _describe(error: BaseException) -> str:
    """An exception's type and message, without anything that looks like key material."""
    text = str(error).split("-----BEGIN", 1)[0]
    return f"{type(error).__name__}: {redact(text)[:200]}".rstrip(": ")


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL, the port filled in: what a credential is bound to."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is no number: an origin nothing is sent credentials to
        port = -1
    return scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 80)


class BearerAuth:
    """Adds ``Authorization: Bearer`` to each request to ``endpoint``'s origin, refreshing the
    token before it expires; a request to any other origin goes without it.

    google-auth counts a token as expired a few minutes before its real expiry, so a
    token is refreshed ahead of time; one lock makes concurrent parts refresh it once.
    """

    def __init__(self, credentials: google.auth.credentials.Credentials, endpoint: str) -> None:
        self.credentials = credentials
        self.origin = origin(endpoint)
        self._lock = threading.Lock()
        self._transport: GoogleRequest | None = None

    def __repr__(self) -> str:
        return f"<BearerAuth {type(self.credentials).__name__}>"

    def __call__(self, request: Request) -> Request:
        if origin(request.url) != self.origin:
            return request
        if not self.credentials.valid:
            self.refresh()
        self.credentials.apply(request.headers)
        return request

    def refresh(self) -> None:
        """Get a fresh access token unless another thread just did."""
        with self._lock:
            if self.credentials.valid:
                return
            if self._transport is None:
                self._transport = GoogleRequest(requests.Session())
            try:
                self.credentials.refresh(self._transport)
            except google.auth.exceptions.RefreshError as error:
                raise InvalidCredsError(f"Google refused to issue an access token ({_describe(error)})") from None
            except google.auth.exceptions.TransportError as error:
                raise ConnectionBrokenError(
                    f"could not reach Google's token service ({_describe(error)})", retryable=True
                ) from None
