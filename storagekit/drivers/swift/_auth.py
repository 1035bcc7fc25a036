"""Getting a Swift token and storage URL: v1 (tempauth, swauth), Keystone v3, Rackspace identity v2.

Each authenticator turns its credentials into a :class:`Session` (storage URL, token, expiry)
with one request through the driver's connection. :class:`TokenManager` holds the session,
renews it shortly before it expires and, when the service answers 401 to a token it handed
out, once more (:meth:`TokenManager.renew`); a pre-authenticated session (CloudBridge's
``os_storage_url`` + ``os_auth_token``) has nothing to renew with. Tokens and keys are held in
:class:`~storagekit.secret.Secret` and sent only in headers the connection redacts.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ... import fields
from ...http import Connection
from ...secret import Secret
from ...transport import Request
from ...types import InvalidCredsError, InvalidOptionError, MalformedResponseError

OBJECT_STORE = "object-store"
"""The service type of Swift in a Keystone or Rackspace catalog."""


@dataclass(frozen=True)
class Session:
    """A storage URL (``https://host/v1/AUTH_project``) and the token that opens it."""

    storage_url: str
    token: Secret[str]
    expires_at: float | None = None
    """Epoch seconds at which the token expires, if the service said."""


class Authenticator(Protocol):
    """Credentials that can be exchanged for a :class:`Session`."""

    def authenticate(self, connection: Connection) -> Session:
        """Log in with one request; InvalidCredsError if the credentials are refused."""
        ...  # pragma: no cover - a protocol


def _expiry(text: Any, what: str) -> float | None:
    """Epoch seconds from an ISO 8601 expiry (``2026-11-30T12:00:00.000000Z``); None if absent."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise MalformedResponseError(f"the identity service sent {what} {str(text)[:40]!r}, not a date") from None


def pick_endpoint(endpoints: Iterable[tuple[str, str, str]], region: str | None, interface: str) -> str:
    """The object-store URL for ``region`` and ``interface`` among (region, interface, url) rows.

    Without a region, the catalog must offer one region only. Regions compare case-insensitively
    (Rackspace says ``ORD``, libcloud users write ``ord``).

    Raises:
        InvalidOptionError: no endpoint matches; the message lists what the catalog offers.
    """
    rows = [row for row in endpoints if row[2]]
    matching = [row for row in rows if row[1] == interface and (region is None or row[0].lower() == region.lower())]
    regions = sorted({row[0] for row in rows if row[1] == interface})
    if region is None and len({row[0] for row in matching}) > 1:
        raise InvalidOptionError(f"the catalog offers object storage in several regions ({', '.join(regions)}): "
                                 "choose one with region= (or OS_REGION_NAME)")
    if not matching:
        offered = ", ".join(f"{row[0]}/{row[1]}" for row in rows) or "nothing"
        raise InvalidOptionError(f"the catalog has no {interface} object-store endpoint in region {region}; "
                                 f"it offers {offered}")
    return matching[0][2].rstrip("/")


class V1Auth:
    """v1 auth (tempauth, swauth, Swift's own ``/auth/v1.0``): ``X-Auth-User`` + ``X-Auth-Key``."""

    def __init__(self, auth_url: str, user: str, key: str) -> None:
        self.auth_url = auth_url
        self.user = user
        self._key = Secret(key)

    def __repr__(self) -> str:
        return f"<V1Auth {self.auth_url} user={self.user}>"

    def authenticate(self, connection: Connection) -> Session:
        response = connection.request(
            "GET", self.auth_url, headers={"X-Auth-User": self.user, "X-Auth-Key": self._key.reveal()}, auth=None
        )
        url = response.headers.get("X-Storage-Url")
        token = response.headers.get("X-Auth-Token") or response.headers.get("X-Storage-Token")
        if not url or not token:
            raise MalformedResponseError(f"{self.auth_url} answered a login without X-Storage-Url and X-Auth-Token")
        lifetime = response.headers.get("X-Auth-Token-Expires")
        expires = time.time() + fields.size(lifetime, "X-Auth-Token-Expires") if lifetime else None
        return Session(url.rstrip("/"), Secret(token), expires)


class KeystoneV3Auth:
    """Keystone v3: password (user and project scoped by domain) or application credential."""

    def __init__(
        self, auth_url: str, *, username: str | None = None, password: str | None = None,
        user_domain: str | None = None, project: str | None = None, project_id: str | None = None,
        project_domain: str | None = None, application_credential_id: str | None = None,
        application_credential_secret: str | None = None, region: str | None = None, interface: str = "public",
    ) -> None:
        base = auth_url.rstrip("/")
        self.tokens_url = f"{base if base.endswith('/v3') else base + '/v3'}/auth/tokens"
        self.region, self.interface = region, interface
        if application_credential_id:
            identity: dict[str, Any] = {"methods": ["application_credential"], "application_credential": {
                "id": application_credential_id, "secret": application_credential_secret or ""}}
            body: dict[str, Any] = {"auth": {"identity": identity}}  # already scoped to its project
        else:
            user = {"name": username, "domain": {"name": user_domain or "Default"}, "password": password or ""}
            body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}}
            if project_id:
                body["auth"]["scope"] = {"project": {"id": project_id}}
            elif project:
                body["auth"]["scope"] = {"project": {"name": project,
                                                     "domain": {"name": project_domain or user_domain or "Default"}}}
        self._body = Secret(json.dumps(body))
        self.who = application_credential_id or username

    def __repr__(self) -> str:
        return f"<KeystoneV3Auth {self.tokens_url} user={self.who}>"

    def authenticate(self, connection: Connection) -> Session:
        response = connection.request(
            "POST", self.tokens_url, headers={"Content-Type": "application/json"}, data=self._body.reveal().encode(),
            idempotent=True, auth=None,
        )
        token = response.headers.get("X-Subject-Token")
        document = fields.json_object(response.content, "a Keystone token", connection.driver).get("token")
        if not token or not isinstance(document, dict):
            raise MalformedResponseError(f"{self.tokens_url} answered without X-Subject-Token and a token document")
        rows = [(str(endpoint.get("region") or endpoint.get("region_id") or ""), str(endpoint.get("interface", "")),
                 str(endpoint.get("url") or ""))
                for service in document.get("catalog") or [] if isinstance(service, dict)
                and service.get("type") == OBJECT_STORE for endpoint in service.get("endpoints") or []
                if isinstance(endpoint, dict)]
        url = pick_endpoint(rows, self.region, self.interface)
        return Session(url, Secret(token), _expiry(document.get("expires_at"), "expires_at"))


class RackspaceV2Auth:
    """Rackspace identity v2.0 (Cloud Files): an API key (``RAX-KSKEY``) or a password."""

    def __init__(self, auth_url: str, username: str, *, api_key: str | None = None, password: str | None = None,
                 tenant: str | None = None, region: str | None = None, interface: str = "public") -> None:
        base = auth_url.rstrip("/")
        self.tokens_url = f"{base if base.endswith('/v2.0') else base + '/v2.0'}/tokens"
        self.username, self.region, self.interface = username, region, interface
        if api_key is not None:
            auth: dict[str, Any] = {"RAX-KSKEY:apiKeyCredentials": {"username": username, "apiKey": api_key}}
        else:
            auth = {"passwordCredentials": {"username": username, "password": password or ""}}
        if tenant:
            auth["tenantName"] = tenant
        self._body = Secret(json.dumps({"auth": auth}))

    def __repr__(self) -> str:
        return f"<RackspaceV2Auth {self.tokens_url} user={self.username}>"

    def authenticate(self, connection: Connection) -> Session:
        response = connection.request(
            "POST", self.tokens_url, headers={"Content-Type": "application/json", "Accept": "application/json"},
            data=self._body.reveal().encode(), idempotent=True, auth=None,
        )
        access = fields.json_object(response.content, "an identity v2 token", connection.driver).get("access")
        token = access.get("token") if isinstance(access, dict) else None
        if not isinstance(token, dict) or not token.get("id"):
            raise MalformedResponseError(f"{self.tokens_url} answered without access.token.id")
        interface = {"public": "publicURL", "internal": "internalURL", "admin": "adminURL"}.get(
            self.interface, self.interface)
        rows = [(str(endpoint.get("region") or ""), kind, str(endpoint.get(kind) or ""))
                for service in access.get("serviceCatalog") or [] if isinstance(service, dict)  # type: ignore[union-attr]
                and service.get("type") == OBJECT_STORE for endpoint in service.get("endpoints") or []
                if isinstance(endpoint, dict) for kind in ("publicURL", "internalURL")]
        url = pick_endpoint(rows, self.region, interface)
        return Session(url, Secret(str(token["id"])), _expiry(token.get("expires"), "expires"))


class TokenManager:
    """The current session, renewed before it expires and once after a 401 (thread-safe).

    Args:
        authenticator: how to log in again; None for a pre-authenticated session only.
        session: a session to start with (``storage_url`` + ``auth_token``).
        base_url: replaces the storage URL the login gives (libcloud's ``ex_force_base_url``).
        connection: sends the login requests.
    """

    renew_margin = 60.0
    """Seconds before its expiry at which a token is replaced (a tenth of its life if that is shorter)."""

    def __init__(self, authenticator: Authenticator | None, session: Session | None, base_url: str | None,
                 connection: Callable[[], Connection], clock: Callable[[], float] = time.time) -> None:
        self._authenticator = authenticator
        self._session = session
        self._base_url = base_url.rstrip("/") if base_url else None
        self._connection = connection
        self._clock = clock
        self._lock = threading.Lock()
        self._margin = self.renew_margin
        self.logins = 0
        """How many times the credentials were exchanged for a token."""

    def __repr__(self) -> str:
        return f"<TokenManager {self._authenticator!r}>"

    @property
    def can_renew(self) -> bool:
        return self._authenticator is not None

    def session(self) -> Session:
        """The current session, logged in (again) if there is none or it is about to expire."""
        with self._lock:
            current = self._session
            if current is None or (self._authenticator is not None and current.expires_at is not None
                                   and current.expires_at - self._clock() < self._margin):
                current = self._login()
            return current

    def renew(self, refused: Secret[str]) -> bool:
        """Log in again after the service refused the token ``refused``; False if that is impossible.

        A token another thread already replaced is not renewed twice.
        """
        if self._authenticator is None:
            return False
        with self._lock:
            if self._session is None or self._session.token == refused:
                self._login()
        return True

    def _login(self) -> Session:
        if self._authenticator is None:  # pragma: no cover - a fixed session is set at construction
            raise InvalidCredsError("no Swift credentials to log in with")
        session = self._authenticator.authenticate(self._connection())
        self.logins += 1
        if session.expires_at is not None:
            self._margin = min(self.renew_margin, (session.expires_at - self._clock()) / 10)
        if self._base_url:
            session = Session(self._base_url, session.token, session.expires_at)
        self._session = session
        return session


class TokenAuth:
    """The auth callable of the connection: ``X-Auth-Token`` from a session fixed for one request."""

    def __init__(self, token: Secret[str]) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "<TokenAuth>"

    def __call__(self, request: Request) -> Request:
        request.headers["X-Auth-Token"] = self._token.reveal()
        return request
