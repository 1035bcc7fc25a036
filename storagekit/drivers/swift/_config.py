"""Which Swift credentials a driver uses: its arguments, a ``creds`` dict, or the environment.

Arguments win over ``creds``; the environment is read only when neither names a credential.
From the environment, ``ST_AUTH`` / ``ST_USER`` / ``ST_KEY`` (v1, as python-swiftclient reads
them) come first, then ``OS_STORAGE_URL`` + ``OS_AUTH_TOKEN`` (pre-authenticated), then the
OpenStack CLI's ``OS_AUTH_URL`` family (Keystone v3 password or application credential).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ...secret import Secret
from ...types import InvalidOptionError
from ._auth import Authenticator, KeystoneV3Auth, RackspaceV2Auth, Session, V1Auth
from .presets import SwiftPreset

SETTINGS = (
    "auth_url", "auth_version", "username", "password", "api_key", "project", "project_id", "domain",
    "user_domain", "project_domain", "application_credential_id", "application_credential_secret", "region",
    "interface", "storage_url", "auth_token", "base_url",
)
"""The settings a driver resolves (keyword arguments of the same names)."""

LIBCLOUD_KEYWORDS = {
    "ex_force_auth_url": "auth_url",
    "ex_force_auth_version": "auth_version",
    "ex_tenant_name": "project",
    "ex_tenant_id": "project_id",
    "ex_domain_name": "domain",
    "ex_force_service_region": "region",
    "ex_force_base_url": "base_url",
    "ex_force_auth_token": "auth_token",
}
"""libcloud's OpenStack keywords and the setting each one is."""

_CREDS_ALIASES = {
    "user": "username", "key": "password", "authurl": "auth_url", "tenant_name": "project",
    "project_name": "project", "tenant_id": "project_id", "user_domain_name": "user_domain",
    "project_domain_name": "project_domain", "domain_name": "domain", "region_name": "region",
    "os_storage_url": "storage_url", "object_storage_url": "storage_url", "preauthurl": "storage_url",
    "os_auth_token": "auth_token", "preauthtoken": "auth_token", "endpoint_type": "interface",
}
"""python-swiftclient's and CloudBridge's names for the settings, accepted in ``creds``."""

_SECRETS = ("password", "api_key", "application_credential_secret", "auth_token")


@dataclass(frozen=True)
class Resolved:
    """How a driver logs in: an authenticator, a session to start with, or both."""

    authenticator: Authenticator | None
    session: Session | None
    base_url: str | None
    described: str
    """Where the credentials came from, never a secret."""


def _environment(environ: Mapping[str, str]) -> tuple[dict[str, Any], str]:
    """The settings the environment gives, and which variables they came from."""
    if environ.get("ST_AUTH"):
        return ({"auth_url": environ["ST_AUTH"], "username": environ.get("ST_USER"), "password": environ.get("ST_KEY"),
                 "auth_version": "1"}, "ST_AUTH / ST_USER / ST_KEY")
    if environ.get("OS_STORAGE_URL") and environ.get("OS_AUTH_TOKEN") and not environ.get("OS_AUTH_URL"):
        return {"storage_url": environ["OS_STORAGE_URL"], "auth_token": environ["OS_AUTH_TOKEN"]}, \
            "OS_STORAGE_URL / OS_AUTH_TOKEN"
    names = {
        "auth_url": "OS_AUTH_URL", "username": "OS_USERNAME", "password": "OS_PASSWORD",
        "project": ("OS_PROJECT_NAME", "OS_TENANT_NAME"), "project_id": ("OS_PROJECT_ID", "OS_TENANT_ID"),
        "user_domain": "OS_USER_DOMAIN_NAME", "project_domain": "OS_PROJECT_DOMAIN_NAME",
        "region": "OS_REGION_NAME", "interface": ("OS_INTERFACE", "OS_ENDPOINT_TYPE"),
        "application_credential_id": "OS_APPLICATION_CREDENTIAL_ID",
        "application_credential_secret": "OS_APPLICATION_CREDENTIAL_SECRET",
        "auth_version": ("OS_AUTH_VERSION", "OS_IDENTITY_API_VERSION"), "storage_url": "OS_STORAGE_URL",
        "auth_token": "OS_AUTH_TOKEN",
    }
    found: dict[str, Any] = {}
    for setting, variables in names.items():
        for variable in (variables,) if isinstance(variables, str) else variables:
            if environ.get(variable):
                found.setdefault(setting, environ[variable])
    return found, "the OS_* environment variables"


def _auth_version(settings: dict[str, Any], preset: SwiftPreset) -> str:
    """The auth protocol: ``1``, ``2.0_apikey``, ``2.0_password``, ``3.x_password`` or ``3.x_appcred``."""
    version = str(settings.get("auth_version") or preset.auth_version or "").lower().lstrip("v")
    if not version:
        path = urlsplit(settings["auth_url"]).path.rstrip("/")
        if settings.get("application_credential_id"):
            version = "3.x_appcred"
        elif path.endswith(("/v1.0", "/v1")):
            version = "1"
        elif path.endswith("/v2.0"):
            version = "2.0_apikey" if settings.get("api_key") else "2.0_password"
        else:
            version = "3"
    aliases = {"1": "1", "1.0": "1", "2": "2.0_password", "2.0": "2.0_password", "2.0_password": "2.0_password",
               "2.0_apikey": "2.0_apikey", "3": "3.x_password", "3.x": "3.x_password",
               "3.x_password": "3.x_password", "3.x_appcred": "3.x_appcred"}
    if version not in aliases:
        raise InvalidOptionError(f"auth_version must be one of {', '.join(sorted(aliases))}, not {version!r}")
    resolved = aliases[version]
    if resolved == "3.x_password" and settings.get("application_credential_id"):
        resolved = "3.x_appcred"
    return resolved


def _authenticator(settings: dict[str, Any], preset: SwiftPreset) -> Authenticator:
    version = _auth_version(settings, preset)
    url, user = settings["auth_url"], settings.get("username")
    secret = settings.get("api_key") or settings.get("password")
    region, interface = settings.get("region") or preset.region, settings.get("interface") or "public"
    if version == "3.x_appcred":
        credential_id = settings.get("application_credential_id") or user
        credential_secret = settings.get("application_credential_secret") or secret
        if not (credential_id and credential_secret):
            raise InvalidOptionError("an application credential needs its id and its secret")
        return KeystoneV3Auth(url, application_credential_id=credential_id,
                              application_credential_secret=credential_secret, region=region, interface=interface)
    if not (user and secret):
        raise InvalidOptionError(f"Swift auth at {url} needs a user name (key / username) and a secret "
                                 "(secret / password / api_key)")
    if version == "1":
        return V1Auth(url, user, secret)
    if version.startswith("2.0"):
        api_key = secret if version == "2.0_apikey" else None
        return RackspaceV2Auth(url, user, api_key=api_key, password=None if api_key else secret,
                               tenant=settings.get("project"), region=region, interface=interface)
    domain = settings.get("domain")
    return KeystoneV3Auth(url, username=user, password=secret, user_domain=settings.get("user_domain") or domain,
                          project=settings.get("project"), project_id=settings.get("project_id"),
                          project_domain=settings.get("project_domain") or domain, region=region, interface=interface)


def from_creds(creds: Mapping[str, Any] | None) -> dict[str, Any]:
    """A ``creds`` dict in storagekit's, python-swiftclient's or CloudBridge's names, as settings.

    Raises:
        InvalidOptionError: a key that is none of those (named; values are never shown).
    """
    settings: dict[str, Any] = {}
    for name, value in (creds or {}).items():
        setting = _CREDS_ALIASES.get(name, name)
        if setting not in SETTINGS:
            raise InvalidOptionError(f"unknown Swift creds key {name!r} (known: {', '.join(SETTINGS)})")
        settings[setting] = value
    return settings


def resolve(given: dict[str, Any], preset: SwiftPreset, environ: Mapping[str, str] = os.environ) -> Resolved:
    """How to log in, from the settings given (arguments over ``creds``), else the environment.

    Raises:
        InvalidOptionError: no credentials at all, or an incomplete or contradictory set (named).
    """
    settings = {name: value for name, value in given.items() if value not in (None, "")}
    for name in _SECRETS:  # accept values already wrapped
        if isinstance(settings.get(name), Secret):
            settings[name] = settings[name].reveal()
    described = "the driver's arguments"
    if not (settings.keys() - {"region", "interface", "base_url", "auth_version"}):
        from_environment, described = _environment(environ)
        settings = {**from_environment, **settings}
    if preset.auth_url and (settings.get("username") or settings.get("api_key")):
        settings.setdefault("auth_url", preset.auth_url)
    session = None
    if settings.get("auth_token"):
        storage_url = settings.get("storage_url") or settings.get("base_url")
        if not storage_url:
            raise InvalidOptionError("auth_token needs the storage URL it opens: storage_url= (or ex_force_base_url=)")
        session = Session(storage_url.rstrip("/"), Secret(settings["auth_token"]))
    elif settings.get("storage_url") and not settings.get("auth_url"):
        raise InvalidOptionError("storage_url needs an auth_token (or credentials and auth_url to log in with)")
    authenticator = _authenticator(settings, preset) if settings.get("auth_url") else None
    if authenticator is None and session is None:
        raise InvalidOptionError(
            "no Swift credentials: give auth_url with key/secret (or username/password, an application "
            "credential), storage_url with auth_token, or set ST_AUTH/ST_USER/ST_KEY or the OS_* variables"
        )
    base_url = settings.get("base_url") or (settings.get("storage_url") if authenticator else None)
    return Resolved(authenticator, session, base_url, described)
