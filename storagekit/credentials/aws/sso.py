"""IAM Identity Center (SSO) profiles: the cached ``aws sso login`` token -> GetRoleCredentials.

Both profile forms work: ``sso_session = NAME`` with an ``[sso-session NAME]`` section (the
token cache file is named by the SHA-1 of the session name) and the legacy ``sso_start_url`` /
``sso_region`` in the profile (named by the SHA-1 of the start URL). The cache lives in
``~/.aws/sso/cache/``. storagekit reads the token and never refreshes it: an expired one is an
error that says to run ``aws sso login``. The portal is ``AWS_ENDPOINT_URL_SSO``, else
``https://portal.sso.<sso_region>.amazonaws.com``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from dataclasses import dataclass
from urllib.parse import urlencode

from ...types import InvalidCredsError, MalformedResponseError
from . import endpoint
from .base import AwsCredentials, parse_time


@dataclass(frozen=True)
class SsoProvider:
    """One SSO profile's role in one account."""

    profile: str
    cache_key: str
    sso_region: str
    account_id: str
    role_name: str

    @property
    def name(self) -> str:
        return f"SSO role {self.role_name} in account {self.account_id} (profile {self.profile!r})"

    def load(self) -> AwsCredentials:
        """The role's credentials from the portal.

        Raises:
            InvalidCredsError: no cached token, an expired one, or the portal refuses it.
        """
        token = self._cached_token()
        base = os.environ.get("AWS_ENDPOINT_URL_SSO") or f"https://portal.sso.{self.sso_region}.amazonaws.com"
        query = urlencode({"role_name": self.role_name, "account_id": self.account_id})
        what = "the SSO portal"
        response = endpoint.call("GET", f"{base.rstrip('/')}/federation/credentials?{query}", what,
                                 headers={"x-amz-sso_bearer_token": token})
        found = endpoint.json_body(response, what).get("roleCredentials")
        if not isinstance(found, dict):
            raise InvalidCredsError("the SSO portal answered without roleCredentials")
        expiration = found.get("expiration")
        when = (datetime.datetime.fromtimestamp(expiration / 1000, datetime.timezone.utc)
                if isinstance(expiration, (int, float)) else None)
        return AwsCredentials.of(found.get("accessKeyId"), found.get("secretAccessKey"), found.get("sessionToken"),
                                 when, self.name)

    def _cached_token(self) -> str:
        digest = hashlib.sha1(self.cache_key.encode("utf-8")).hexdigest()
        path = os.path.join(os.path.expanduser("~"), ".aws", "sso", "cache", f"{digest}.json")
        login = f"run `aws sso login --profile {self.profile}`"
        try:
            with open(path, encoding="utf-8") as file:
                document = json.load(file)
            token, expires = document["accessToken"], parse_time(document["expiresAt"])
        except (OSError, ValueError, KeyError, TypeError, MalformedResponseError):
            raise InvalidCredsError(f"no usable SSO token cached for profile {self.profile!r} ({path}): "
                                    f"{login}") from None
        if expires <= datetime.datetime.now(datetime.timezone.utc):
            raise InvalidCredsError(f"the SSO token of profile {self.profile!r} has expired: {login}")
        return str(token)


__all__ = ["SsoProvider"]
