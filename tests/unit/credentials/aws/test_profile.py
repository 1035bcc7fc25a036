"""Which provider a profile of the shared files describes, and the errors of a broken one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storagekit.credentials.aws.assume_role import AssumeRoleProvider
from storagekit.credentials.aws.files import SharedFiles
from storagekit.credentials.aws.profile import ProfileProvider
from storagekit.credentials.aws.static import EnvironmentProvider, StaticProvider
from storagekit.credentials.aws.web_identity import WebIdentityProvider
from storagekit.types import InvalidCredsError

ROLE = "arn:aws:iam::123456789012:role/x"


def provider_of(home: Path, config: str, profile: str) -> object:
    (home / "config").write_text(config)
    return ProfileProvider(profile, "eu-west-1").provider(SharedFiles.read())


def test_role_chains_through_source_profiles(home: Path) -> None:
    (home / "credentials").write_text("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n")
    found = provider_of(home, f"[profile middle]\nrole_arn = {ROLE}-1\nsource_profile = base\n"
                              f"[profile top]\nrole_arn = {ROLE}-2\nsource_profile = middle\nexternal_id = e\n"
                              "duration_seconds = 1800\nregion = ap-south-1\n", "top")
    assert isinstance(found, AssumeRoleProvider)
    assert (found.role_arn, found.external_id, found.duration_seconds, found.region) == (
        f"{ROLE}-2", "e", 1800, "ap-south-1")
    assert isinstance(found.source, AssumeRoleProvider) and found.source.role_arn == f"{ROLE}-1"
    assert isinstance(found.source.source, StaticProvider) and found.source.source.access_key == "AKIDBASE"


def test_credential_source_and_web_identity(home: Path) -> None:
    found = provider_of(home, f"[profile env]\nrole_arn = {ROLE}\ncredential_source = Environment\n", "env")
    assert isinstance(found, AssumeRoleProvider) and isinstance(found.source, EnvironmentProvider)
    found = provider_of(home, f"[profile pod]\nrole_arn = {ROLE}\nweb_identity_token_file = /var/token\n", "pod")
    assert isinstance(found, WebIdentityProvider) and found.token_file == "/var/token"


@pytest.mark.parametrize(("config", "message"), [
    (f"[profile p]\nrole_arn = {ROLE}\nsource_profile = q\n[profile q]\nrole_arn = {ROLE}\nsource_profile = p\n",
     "loops back"),
    (f"[profile p]\nrole_arn = {ROLE}\ncredential_source = Laptop\n", "unknown credential_source 'Laptop'"),
    (f"[profile p]\nrole_arn = {ROLE}\n", "no source_profile or credential_source"),
    (f"[profile p]\nrole_arn = {ROLE}\nsource_profile = ghost\n", "'ghost' is in neither"),
    ("[profile p]\nsso_session = corp\n", "no [sso-session corp] section"),
    ("[profile p]\nsso_start_url = https://x.awsapps.com/start\n", "lacks sso_region, sso_account_id"),
])
def test_broken_profiles_say_what_is_wrong(home: Path, config: str, message: str) -> None:
    with pytest.raises(InvalidCredsError, match=re.escape(message)):
        provider_of(home, config, "p")


def test_an_implicit_default_profile_may_be_missing_a_named_one_not(home: Path) -> None:
    assert ProfileProvider().load() is None
    with pytest.raises(InvalidCredsError, match="'named' is in neither"):
        ProfileProvider("named").load()
