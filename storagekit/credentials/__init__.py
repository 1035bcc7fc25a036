"""Where credentials come from, per provider family, and how temporary ones stay fresh.

* :mod:`.refreshing`: :class:`~.refreshing.RefreshingCredentials`, the thread-safe wrapper
  that reloads temporary credentials before they expire (one refresh in flight).
* :mod:`.sts`: the three AWS STS calls storagekit makes (AssumeRole,
  AssumeRoleWithWebIdentity, GetSessionToken), signed with the S3 driver's SigV4 signer.
* :mod:`.aws`: the AWS credential chain in botocore's order, one small provider per source.
"""

from __future__ import annotations

from .refreshing import RefreshingCredentials

__all__ = ["RefreshingCredentials"]
