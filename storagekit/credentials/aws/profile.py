"""A profile of the shared AWS files: static keys, a role (from a source profile, a credential
source or a web identity token file), an SSO role, or a ``credential_process``.

Which one a profile means is decided in botocore's order: ``role_arn`` (with
``web_identity_token_file``, ``source_profile`` or ``credential_source``), then SSO settings,
then ``aws_access_key_id``, then ``credential_process``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ...secret import wrap
from ...types import InvalidCredsError
from .assume_role import AssumeRoleProvider
from .base import AwsCredentials
from .container import ContainerProvider
from .files import SharedFiles
from .imds import InstanceMetadataProvider
from .process import ProcessProvider
from .sso import SsoProvider
from .static import EnvironmentProvider, StaticProvider
from .web_identity import WebIdentityProvider

CREDENTIAL_SOURCES: dict[str, Any] = {
    "Environment": EnvironmentProvider(),
    "Ec2InstanceMetadata": InstanceMetadataProvider(),
    "EcsContainer": ContainerProvider(),
}


@dataclass(frozen=True)
class ProfileProvider:
    """The named profile (else ``AWS_PROFILE``, else ``default``), read from the files when loaded;
    a profile named either way must exist, the implicit ``default`` need not."""

    profile: str | None = None
    region: str | None = None

    @property
    def name(self) -> str:
        files = SharedFiles.read()
        return f"profile {self._profile_name()!r} in {files.where()}"

    def _profile_name(self) -> str:
        return self.profile or os.environ.get("AWS_PROFILE") or "default"

    def load(self) -> AwsCredentials | None:
        """The profile's credentials; None when the (default) profile holds none.

        Raises:
            InvalidCredsError: a named profile is missing, or its settings are incomplete or refused.
        """
        provider = self.provider(SharedFiles.read())
        return provider.load() if provider is not None else None

    def provider(self, files: SharedFiles) -> Any:
        """The provider the profile's settings describe (None: it has no credential settings)."""
        name = self._profile_name()
        required = bool(self.profile or os.environ.get("AWS_PROFILE"))
        return _provider(files, name, self.region, required, ())


def _provider(files: SharedFiles, name: str, region: str | None, required: bool, seen: tuple[str, ...]) -> Any:
    section = files.profile(name)
    if section is None:
        if required or seen:
            raise InvalidCredsError(f"AWS profile {name!r} is in neither {files.where()}")
        return None
    region = section.get("region") or region
    role_arn = section.get("role_arn")
    duration = int(section["duration_seconds"]) if section.get("duration_seconds") else None
    if role_arn:
        if section.get("web_identity_token_file"):
            return WebIdentityProvider(section["web_identity_token_file"], role_arn, section.get("role_session_name"),
                                       region, duration)
        return AssumeRoleProvider(_role_source(files, name, section, region, seen), role_arn,
                                  section.get("external_id"), section.get("role_session_name"), duration, region)
    if section.get("sso_session") or section.get("sso_start_url"):
        return _sso(files, name, section)
    if section.get("aws_access_key_id"):
        return _static(name, section)
    if section.get("credential_process"):
        return ProcessProvider(section["credential_process"], name)
    if seen:
        raise InvalidCredsError(f"AWS profile {name!r} (a source_profile) holds no credentials")
    return None


def _role_source(files: SharedFiles, name: str, section: dict[str, str], region: str | None,
                 seen: tuple[str, ...]) -> Any:
    """Where the credentials that assume a profile's role come from."""
    source_profile, credential_source = section.get("source_profile"), section.get("credential_source")
    if source_profile and credential_source:
        raise InvalidCredsError(f"AWS profile {name!r} sets both source_profile and credential_source")
    if source_profile:
        if source_profile == name:
            return _static(name, section)
        if source_profile in seen:
            raise InvalidCredsError(f"AWS profile {name!r}: source_profile loops back to {source_profile!r}")
        return _provider(files, source_profile, region, True, (*seen, name))
    if credential_source:
        if credential_source not in CREDENTIAL_SOURCES:
            known = ", ".join(CREDENTIAL_SOURCES)
            raise InvalidCredsError(f"AWS profile {name!r}: unknown credential_source {credential_source!r} "
                                    f"(known: {known})")
        return CREDENTIAL_SOURCES[credential_source]
    raise InvalidCredsError(f"AWS profile {name!r} has a role_arn but no source_profile or credential_source")


def _static(name: str, section: dict[str, str]) -> StaticProvider:
    if not section.get("aws_access_key_id"):
        raise InvalidCredsError(f"AWS profile {name!r} holds no aws_access_key_id")
    return StaticProvider(section["aws_access_key_id"], wrap(section.get("aws_secret_access_key")),
                          wrap(section.get("aws_session_token")), f"profile {name!r}")


def _sso(files: SharedFiles, name: str, section: dict[str, str]) -> SsoProvider:
    session_name = section.get("sso_session")
    if session_name:
        session = files.sso_session(session_name)
        if session is None:
            raise InvalidCredsError(f"AWS profile {name!r} names sso_session {session_name!r}, which has no "
                                    f"[sso-session {session_name}] section in {files.config_path}")
        settings, cache_key = {**section, **session}, session_name
    else:
        settings, cache_key = section, section.get("sso_start_url", "")
    needed = ("sso_start_url", "sso_region", "sso_account_id", "sso_role_name")
    missing = [key for key in needed if not settings.get(key)]
    if missing:
        raise InvalidCredsError(f"AWS SSO profile {name!r} lacks {', '.join(missing)}")
    return SsoProvider(name, cache_key, settings["sso_region"], settings["sso_account_id"], settings["sso_role_name"])


__all__ = ["ProfileProvider"]
