"""AWS credentials: one small provider per source, the chain in botocore's order, roles on top.

Usage::

    from storagekit.credentials.aws import RoleOptions, aws_credentials

    credentials = aws_credentials(region="eu-central-1",
                                  role=RoleOptions("arn:aws:iam::123456789012:role/x", external_id="e"))
    current = credentials.get()          # AwsCredentials, refreshed before they expire
    print(current.describe())            # "assumed role arn:...:role/x via ..., expires ..."
"""

from __future__ import annotations

from .base import AwsCredentials, CredentialProvider
from .chain import ChainProvider, RoleOptions, aws_credentials, default_chain

__all__ = ["AwsCredentials", "ChainProvider", "CredentialProvider", "RoleOptions", "aws_credentials",
           "default_chain"]
