"""The AWS credential chain for real: with no keys anywhere, a driver lists and writes a bucket on
moto's S3 (IAM checks on) with credentials from each source of the chain.

Every test starts from a clean environment: no ``AWS_*`` variable, ``HOME`` and the two AWS
files in a temp directory, instance metadata disabled; ``AWS_ENDPOINT_URL`` points both S3 and
STS at moto.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from storagekit.cli import main
from storagekit.drivers.s3 import S3StorageDriver
from storagekit.providers import get_driver
from storagekit.types import InvalidCredsError, Provider
from storagekit.urls import open_url
from tests.support.aws_metadata import ROLE, AwsMetadataServer
from tests.support.moto_server import EXTERNAL_ID, MotoAws

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "aws"


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_aws: MotoAws) -> Path:
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_aws.url)
    return tmp_path


@pytest.fixture
def metadata(moto_aws: MotoAws) -> Iterator[AwsMetadataServer]:
    with AwsMetadataServer(issue=moto_aws.issue) as server:
        yield server


def s3(**options: object) -> S3StorageDriver:
    return get_driver(Provider.S3)(region="us-east-1", **options)  # type: ignore[return-value]


def lists_and_writes(driver: S3StorageDriver) -> None:
    """Create a bucket, write an object, list it and read it back."""
    container = driver.create_container(f"creds-{uuid.uuid4().hex[:12]}")
    driver.upload_object_via_stream(iter([b"written with ", b"found credentials"]), container, "proof.txt")
    assert [obj.name for obj in driver.list_container_objects(container)] == ["proof.txt"]
    assert b"".join(driver.download_object_as_stream(driver.get_object(container.name, "proof.txt"))) == \
        b"written with found credentials"


def test_instance_metadata(home: Path, metadata: AwsMetadataServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.url)
    driver = s3()
    lists_and_writes(driver)
    assert driver.credential_source.startswith(f"EC2 instance metadata role {ROLE} (access key ")
    assert metadata.token_requests == metadata.credential_requests == 1  # IMDSv2: a token for the load


def test_web_identity_token_file(home: Path, moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "token").write_text("eyJhbGciOiJSUzI1NiJ9.an-oidc-token.signature\n")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(home / "token"))
    monkeypatch.setenv("AWS_ROLE_ARN", moto_aws.role_arn)
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "pod-session")
    driver = s3()
    moto_aws.allow_unsigned(1)  # AssumeRoleWithWebIdentity is unsigned; moto cannot check it with IAM on
    lists_and_writes(driver)
    assert driver.credential_source.startswith(f"assumed role {moto_aws.role_arn} via web identity")


def test_container_endpoint(home: Path, metadata: AwsMetadataServer, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "pod-token").write_text(metadata.container_token)
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", metadata.container_url)
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(home / "pod-token"))
    driver = s3()
    lists_and_writes(driver)
    assert driver.credential_source.startswith("container credentials endpoint")
    monkeypatch.delenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token")
    with pytest.raises(InvalidCredsError, match="container credentials endpoint answered HTTP 403"):
        s3().list_containers()


def test_container_full_uri_in_plain_http_must_stay_local(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.10/credentials")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "must-not-travel")
    with pytest.raises(InvalidCredsError, match="https, or http to a loopback") as info:
        s3().list_containers()
    assert "must-not-travel" not in str(info.value)


def test_profile_role_with_external_id_and_source_profile(home: Path, moto_aws: MotoAws) -> None:
    (home / "credentials").write_text(
        f"[base]\naws_access_key_id = {moto_aws.access_key}\naws_secret_access_key = {moto_aws.secret_key}\n")
    (home / "config").write_text(
        f"[profile delegated]\nrole_arn = {moto_aws.role_arn}\nsource_profile = base\n"
        f"external_id = {EXTERNAL_ID}\nrole_session_name = lightly\nduration_seconds = 900\n"
        f"[profile wrong-id]\nrole_arn = {moto_aws.role_arn}\nsource_profile = base\nexternal_id = not-it\n")
    driver = s3(profile="delegated")
    lists_and_writes(driver)
    assert driver.credential_source.startswith(f"assumed role {moto_aws.role_arn} via profile 'base'")
    with pytest.raises(InvalidCredsError, match="STS refused"):
        s3(profile="wrong-id").list_containers()


def test_credential_process(home: Path, moto_aws: MotoAws) -> None:
    keys = home / "keys.json"
    keys.write_text(json.dumps({"AccessKeyId": moto_aws.access_key, "SecretAccessKey": moto_aws.secret_key}))
    (home / "config").write_text(
        f"[default]\ncredential_process = {sys.executable} {FIXTURES / 'credential_process.py'} {keys}\n"
        f"[profile broken]\ncredential_process = {sys.executable} -c 'raise SystemExit(3)'\n")
    driver = s3()
    lists_and_writes(driver)
    assert driver.credential_source.startswith("credential_process of profile 'default'")
    with pytest.raises(InvalidCredsError, match="exited with status 3"):
        s3(profile="broken").list_containers()


def _sso_cache(home: Path, key: str, token: str, expires_in: datetime.timedelta) -> None:
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    expires = (datetime.datetime.now(datetime.timezone.utc) + expires_in).strftime("%Y-%m-%dT%H:%M:%SZ")
    (cache / f"{hashlib.sha1(key.encode()).hexdigest()}.json").write_text(
        json.dumps({"accessToken": token, "expiresAt": expires, "region": "eu-west-1"}))


def test_sso_profiles_both_forms(home: Path, metadata: AwsMetadataServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", metadata.url)
    start_url = "https://example.awsapps.com/start"
    (home / "config").write_text(
        f"[profile dev]\nsso_session = corp\nsso_account_id = {metadata.sso_account}\n"
        f"sso_role_name = {metadata.sso_role}\n"
        f"[sso-session corp]\nsso_start_url = {start_url}\nsso_region = eu-west-1\n"
        f"[profile legacy]\nsso_start_url = {start_url}/legacy\nsso_region = eu-west-1\n"
        f"sso_account_id = {metadata.sso_account}\nsso_role_name = {metadata.sso_role}\n")
    _sso_cache(home, "corp", metadata.sso_token, datetime.timedelta(hours=1))
    _sso_cache(home, f"{start_url}/legacy", metadata.sso_token, datetime.timedelta(hours=1))
    driver = s3(profile="dev")
    lists_and_writes(driver)
    assert driver.credential_source.startswith(f"SSO role {metadata.sso_role} in account {metadata.sso_account}")
    lists_and_writes(s3(profile="legacy"))
    _sso_cache(home, "corp", metadata.sso_token, -datetime.timedelta(minutes=1))
    with pytest.raises(InvalidCredsError, match="expired: run `aws sso login --profile dev`"):
        s3(profile="dev").list_containers()


def test_role_on_top_of_explicit_keys(home: Path, moto_aws: MotoAws) -> None:
    driver = s3(key=moto_aws.access_key, secret=moto_aws.secret_key, role_arn=moto_aws.role_arn,
                external_id=EXTERNAL_ID, role_session_name="delegated-access")
    lists_and_writes(driver)
    assert driver.credential_source.startswith(
        f"assumed role {moto_aws.role_arn} via static keys from the arguments")
    in_creds = s3(creds={"aws_access_key_id": moto_aws.access_key, "aws_secret_access_key": moto_aws.secret_key,
                         "role_arn": moto_aws.role_arn, "external_id": EXTERNAL_ID})
    assert in_creds.credential_source.startswith(f"assumed role {moto_aws.role_arn}")


def test_role_on_top_of_the_chain(home: Path, moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto_aws.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto_aws.secret_key)
    driver = s3(role_arn=moto_aws.role_arn, external_id=EXTERNAL_ID)
    lists_and_writes(driver)
    assert driver.credential_source.startswith(f"assumed role {moto_aws.role_arn} via environment variables")


def test_nothing_anywhere_is_an_error_naming_the_sources(home: Path) -> None:
    with pytest.raises(InvalidCredsError, match="no AWS credentials found; tried: environment variables"):
        s3().list_containers()


def test_open_url_names_an_aws_profile(home: Path, moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGEKIT_CONFIG", str(home / "storagekit.ini"))
    (home / "credentials").write_text(
        f"[ci]\naws_access_key_id = {moto_aws.access_key}\naws_secret_access_key = {moto_aws.secret_key}\n")
    location = open_url("s3://some-bucket/key", profile="ci", region="us-east-1")
    assert location.driver.credential_source == f"profile 'ci' (access key {moto_aws.access_key})"  # type: ignore[attr-defined]


def test_cli_whoami_and_no_sign_request(
    home: Path, moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto_aws.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto_aws.secret_key)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    bucket = f"cli-{uuid.uuid4().hex[:12]}"
    s3().create_container(bucket)
    assert main(["whoami", f"s3://{bucket}/"]) == 0
    shown = capsys.readouterr().out
    assert f"environment variables (access key {moto_aws.access_key})" in shown
    assert moto_aws.secret_key not in shown
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert main(["ls", f"s3://{bucket}/"]) == 4  # no credentials: refused, not sent unsigned
    assert "no AWS credentials found" in capsys.readouterr().err
    moto_aws.allow_unsigned(10)
    try:
        assert main(["--no-sign-request", "ls", f"s3://{bucket}/"]) == 0
        assert main(["--anonymous", "whoami", f"s3://{bucket}/"]) == 0
        assert "anonymous (unsigned requests)" in capsys.readouterr().out
    finally:
        moto_aws.allow_unsigned(0)
