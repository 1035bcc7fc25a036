"""Where the S3 driver finds credentials, region and endpoint (never in the real home)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storagekit.drivers.s3 import S3StorageDriver
from storagekit.drivers.s3._credentials import Credentials
from storagekit.providers import get_driver
from storagekit.secret import Secret
from storagekit.types import InvalidCredsError, InvalidOptionError, Provider
from tests.support.servers import free_port

ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
       "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")


@pytest.fixture(autouse=True)
def aws_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment (no AWS_* variable) whose AWS files are (still empty) temp files; HOME
    points away too, and the instance metadata endpoint is a closed loopback port."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    return tmp_path


def s3(*args: object, **kwargs: object) -> S3StorageDriver:
    return get_driver(Provider.S3)(*args, **kwargs)  # type: ignore[return-value]


def keys(driver: S3StorageDriver) -> Credentials:
    """The credentials the driver signs with (loading them)."""
    return driver._current_credentials()


def test_explicit_arguments_win_over_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "envtoken")
    driver = s3("ARGKEY", "argsecret", region="ap-south-1")
    assert keys(driver) == Credentials("ARGKEY", "argsecret", None)  # the environment's token is not attached
    assert driver.region == "ap-south-1"
    assert keys(s3("ARGKEY", "argsecret", token="argtoken")) == Credentials("ARGKEY", "argsecret", "argtoken")
    assert keys(s3(creds={"aws_access_key_id": "DLKEY", "aws_secret_access_key": "dl"})).token is None


def test_libcloud_positional_order_and_host() -> None:
    driver = s3("K", "S", False, "objects.example.com", 9000, "eu-west-1", "T")
    assert (driver._scheme, driver._host, driver.region) == ("http", "objects.example.com:9000", "eu-west-1")
    assert keys(driver) == Credentials("K", "S", "T")


def test_creds_dict_in_deep_lake_form() -> None:
    driver = s3(creds={"aws_access_key_id": "DLKEY", "aws_secret_access_key": "dlsecret",
                       "aws_session_token": "dltoken", "endpoint_url": "http://127.0.0.1:9000", "region": "us-west-2"})
    assert keys(driver) == Credentials("DLKEY", "dlsecret", "dltoken")
    assert (driver.region, driver._scheme, driver._host) == ("us-west-2", "http", "127.0.0.1:9000")


def test_creds_dict_refuses_unknown_keys() -> None:
    with pytest.raises(InvalidOptionError, match="aws_secret_key"):
        s3(creds={"aws_access_key_id": "K", "aws_secret_key": "typo"})


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "envtoken")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://generic:9000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://s3-specific:9000")
    driver = s3()
    assert keys(driver) == Credentials("ENVKEY", "envsecret", "envtoken")
    assert driver.credential_source == "environment variables (access key ENVKEY)"
    assert (driver.region, driver._host) == ("eu-central-1", "s3-specific:9000")
    monkeypatch.setenv("AWS_REGION", "eu-north-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    driver = s3()
    assert (driver.region, driver._host) == ("eu-north-1", "generic:9000")


def test_default_profile_from_the_shared_files(aws_files: Path) -> None:
    (aws_files / "credentials").write_text(
        "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n"
    )
    (aws_files / "config").write_text("[default]\nregion = sa-east-1\n")
    driver = s3()
    assert keys(driver) == Credentials("FILEKEY", "filesecret", None)
    assert driver.region == "sa-east-1"
    assert driver._host == "s3.sa-east-1.amazonaws.com"


def test_named_profile_with_endpoint_and_addressing(aws_files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (aws_files / "credentials").write_text(
        "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = d\n"
        "[work]\naws_access_key_id = WORKKEY\naws_secret_access_key = worksecret\naws_session_token = worktoken\n"
    )
    (aws_files / "config").write_text(
        "[default]\nregion = us-east-2\n"
        "[profile work]\nregion = eu-west-3\nendpoint_url = https://objects.example.com\n"
        "s3 =\n  addressing_style = virtual\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "work")
    driver = s3()
    assert keys(driver) == Credentials("WORKKEY", "worksecret", "worktoken")
    assert (driver.region, driver._host, driver._addressing) == ("eu-west-3", "objects.example.com", "virtual")
    assert keys(s3(profile="default")) == Credentials("DEFAULTKEY", "d", None)


def test_credentials_can_live_in_the_config_file(aws_files: Path) -> None:
    (aws_files / "config").write_text("[profile ci]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n")
    assert keys(s3(profile="ci")) == Credentials("CFGKEY", "cfgsecret", None)


def test_missing_profile_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope")
    with pytest.raises(InvalidOptionError, match="nope"):
        s3()
    assert keys(s3("K", "S")) == Credentials("K", "S", None)  # not needed when keys are given


def test_environment_keys_beat_the_profile(aws_files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (aws_files / "credentials").write_text("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = f\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    assert keys(s3()) == Credentials("ENVKEY", "envsecret", None)
    assert keys(s3(profile="default")) == Credentials("FILEKEY", "f", None)  # a named profile skips them


def test_nothing_found_names_every_source_and_never_goes_anonymous() -> None:
    driver = s3()
    with pytest.raises(InvalidCredsError) as info:
        driver.list_containers()
    for source in ("AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", "profile 'default'",
                   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "instance metadata", "anonymous=True"):
        assert source in str(info.value)


def test_anonymous_only_when_asked() -> None:
    driver = s3(anonymous=True)
    assert driver._signer("us-east-1") is None
    assert driver.credential_source == "anonymous (unsigned requests)"
    with pytest.raises(InvalidOptionError, match="no keys and no role_arn"):
        s3("K", "S", anonymous=True)


def test_a_key_without_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")  # never borrowed for an explicit key
    with pytest.raises(InvalidCredsError, match="without its secret"):
        s3("ONLYKEY")
    with pytest.raises(InvalidCredsError, match="without its access"):
        s3(creds={"aws_secret_access_key": "lonely"})


def test_an_environment_key_without_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    with pytest.raises(InvalidCredsError, match="environment variables lack the secret access key"):
        keys(s3())


def test_broken_file_is_reported(aws_files: Path) -> None:
    (aws_files / "credentials").write_text("this is not an ini file\n")
    with pytest.raises(InvalidOptionError, match="cannot parse"):
        s3()


def test_unknown_option_is_refused() -> None:
    with pytest.raises(InvalidOptionError, match="colour"):
        s3("K", "S", colour="blue")


def test_transfer_options_and_timeout() -> None:
    driver = s3("K", "S", part_size=16 * 1024 * 1024, max_concurrency=8, timeout=5, verify=False)
    assert (driver.transfer_config.part_size, driver.transfer_config.max_concurrency) == (16 * 1024 * 1024, 8)
    assert driver.connection.timeout == (5.0, 5.0) and driver.connection.transport.verify is False
    with pytest.raises(InvalidOptionError):
        s3("K", "S", part_size=0)


def test_credentials_repr_hides_the_secret() -> None:
    shown = repr(Credentials("AKIDEXAMPLE", "supersecretvalue", "sessiontokenvalue"))
    assert "AKIDEXAMPLE" in shown and "supersecretvalue" not in shown and "sessiontokenvalue" not in shown


@pytest.mark.parametrize("content", [
    "aws_access_key_id = FILEKEY\naws_secret_access_key = filesecret-do-not-show\n",  # no [section] header
    "[default]\naws_access_key_id = FILEKEY\nfilesecret-do-not-show\n",  # a line that is no setting
])
@pytest.mark.parametrize("file_name", ["credentials", "config"])
def test_an_unparsable_aws_file_never_shows_its_lines(aws_files: Path, content: str, file_name: str) -> None:
    (aws_files / file_name).write_text(content)
    with pytest.raises(InvalidOptionError, match=r"cannot parse the AWS file .*line") as info:
        s3()
    assert "filesecret-do-not-show" not in str(info.value) and file_name in str(info.value)


def test_credentials_hold_secrets_wrapped(aws_files: Path) -> None:
    credentials = Credentials("AKIDEXAMPLE", "supersecretvalue", "sessiontokenvalue")
    assert isinstance(credentials.secret_key, Secret) and isinstance(credentials.token, Secret)
    assert "supersecretvalue" not in str(vars(s3("AKIDEXAMPLE", Secret("supersecretvalue"))))
    assert s3("K", Secret("S"), token=Secret("T"))._current_credentials() == Credentials("K", "S", "T")
