"""Blob SAS tokens: a service SAS signed with the account key, or a user-delegation SAS.

Both use signed version :data:`SAS_VERSION` (2020-12-06), whose string-to-sign is the one
documented in "Create a service SAS" and "Create a user delegation SAS"; a SAS carries its
own version, so it is independent of the ``x-ms-version`` of requests.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from ...secret import Secret
from ._auth import sign

SAS_VERSION = "2020-12-06"
PERMISSIONS = {"GET": "r", "PUT": "cw"}
"""SAS permissions per method: read; create + write (a PUT may create or replace)."""


@dataclass(frozen=True)
class UserDelegationKey:
    """A key from Get User Delegation Key; ``value`` is the base64 signing key."""

    signed_oid: str
    signed_tid: str
    signed_start: str
    signed_expiry: str
    signed_service: str
    signed_version: str
    value: Secret[str]
    """The base64 signing key (a plain string given is wrapped)."""

    def __post_init__(self) -> None:
        if isinstance(self.value, str):
            object.__setattr__(self, "value", Secret(self.value))

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> UserDelegationKey:
        return cls(
            fields.get("SignedOid", ""), fields.get("SignedTid", ""), fields.get("SignedStart", ""),
            fields.get("SignedExpiry", ""), fields.get("SignedService", ""), fields.get("SignedVersion", ""),
            Secret(fields.get("Value", "")),
        )

    def __repr__(self) -> str:
        return f"<UserDelegationKey oid={self.signed_oid} expiry={self.signed_expiry}>"


def iso(moment: datetime) -> str:
    """A SAS time: UTC, seconds precision, ``Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def blob_sas(
    *,
    account: str,
    container: str,
    blob: str,
    permissions: str,
    expiry: datetime,
    key: bytes | None = None,
    delegation_key: UserDelegationKey | None = None,
    protocol: str = "",
) -> str:
    """The query string of a blob SAS (``sv=...&sig=...``), signed with ``key`` or ``delegation_key``."""
    fields: dict[str, str] = {"sv": SAS_VERSION, "se": iso(expiry), "sr": "b", "sp": permissions}
    if protocol:
        fields["spr"] = protocol
    head = [permissions, "", fields["se"], f"/blob/{account}/{container}/{blob}"]
    tail = [fields.get("spr", ""), SAS_VERSION, "b", "", "", "", "", "", "", ""]
    if delegation_key is None:
        if key is None:
            raise ValueError("a service SAS needs the account key")
        text = "\n".join([*head, "", "", *tail])  # si (stored policy id), sip (IP range)
        signature = sign(key, text)
    else:
        udk = delegation_key
        fields.update(skoid=udk.signed_oid, sktid=udk.signed_tid, skt=udk.signed_start, ske=udk.signed_expiry,
                      sks=udk.signed_service, skv=udk.signed_version)
        delegation = [udk.signed_oid, udk.signed_tid, udk.signed_start, udk.signed_expiry, udk.signed_service,
                      udk.signed_version, "", "", ""]  # saoid, suoid, scid
        text = "\n".join([*head, *delegation, "", *tail])  # sip
        signature = sign(base64.b64decode(udk.value.reveal()), text)
    fields["sig"] = signature
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in fields.items())
