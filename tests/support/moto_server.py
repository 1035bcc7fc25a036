"""Fixtures: moto's server (STS, IAM and a second S3) on a free loopback port, IAM checks on.

moto checks nothing by default; here an IAM user, and a role that user may assume only with
an external id, are made first, then ``POST /moto-api/reset-auth`` with ``0`` turns the checks
on: from then on moto refuses an unknown key, a wrong secret or session token, and a wrong
external id, so an S3 request that succeeds was signed with credentials STS really issued.

moto cannot take an unsigned request while its checks are on (it answers 500), but
AssumeRoleWithWebIdentity is unsigned by design: :meth:`MotoAws.allow_unsigned` lets the next
request through unchecked (``reset-auth`` with ``1``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
import requests

from .aws_metadata import Issued

EXTERNAL_ID = "storagekit-external-id"
_ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@dataclass(frozen=True)
class MotoAws:
    """The running server, a user's keys and the role it may assume (with :data:`EXTERNAL_ID`)."""

    url: str
    access_key: str
    secret_key: str
    role_arn: str

    def allow_unsigned(self, requests_count: int = 1) -> None:
        """Let the next ``requests_count`` requests through without IAM checks."""
        requests.post(f"{self.url}/moto-api/reset-auth", data=str(requests_count).encode(), timeout=10)

    def issue(self) -> Issued:
        """Fresh temporary credentials of the role (for the metadata test server to hand out)."""
        sts = boto3.client("sts", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id=self.access_key,
                           aws_secret_access_key=self.secret_key)
        found = sts.assume_role(RoleArn=self.role_arn, RoleSessionName="metadata", ExternalId=EXTERNAL_ID)
        credentials = found["Credentials"]
        return credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]


@pytest.fixture(scope="session")
def moto_aws() -> Iterator[MotoAws]:
    """moto 5 in this process (~1 s to start), IAM checks on."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        setup = {"endpoint_url": url, "region_name": "us-east-1", "aws_access_key_id": "setup",
                 "aws_secret_access_key": "setup"}
        iam = boto3.client("iam", **setup)
        iam.create_user(UserName="storagekit")
        iam.put_user_policy(UserName="storagekit", PolicyName="all", PolicyDocument=_ALLOW_ALL)
        key = iam.create_access_key(UserName="storagekit")["AccessKey"]
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}]}
        role = iam.create_role(RoleName="storagekit-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        iam.put_role_policy(RoleName="storagekit-role", PolicyName="all", PolicyDocument=_ALLOW_ALL)
        aws = MotoAws(url, key["AccessKeyId"], key["SecretAccessKey"], role["Arn"])
        aws.allow_unsigned(0)
        yield aws
    finally:
        server.stop()


__all__ = ["EXTERNAL_ID", "MotoAws", "moto_aws"]
