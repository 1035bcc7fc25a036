"""The secrets test: for every credential form, no secret in any repr, ``vars()``, message, log line or
CLI output, while requests fail against the real servers (SeaweedFS, Azurite, fake-gcs-server).

Each case builds a driver from one credential form with a credential the server rejects (or, for
fake-gcs-server, which checks none, one whose token service refuses it, or a token it accepts),
then provokes every failure it can and collects everything that could show the secret: reprs, a
walk over ``vars()`` of every storagekit object the driver holds, each exception's message, repr
and formatted traceback, DEBUG log lines, and the output of the ``storagekit`` command run with the
credential in its environment (``ls``, ``stat`` and a failing ``cp`` with ``--debug``, ``config list``).

A second test does the same while things work: for each Azure (account key, SAS, connection
string, Entra token on Azurite over HTTPS) and GCS (key-file path, dict, JSON text) form with a
good credential it uploads, downloads, signs a URL and fetches it, runs the CLI's ``cp`` both ways
and ``ls`` with ``--debug``, then makes the server fail through the fault proxy (500, retried until
the retries run out, and 403). Every logger logs at DEBUG throughout.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import ssl
import subprocess
import sys
import traceback
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas
from google.oauth2.credentials import Credentials as TokenCredentials

from storagekit.base import StorageDriver
from storagekit.drivers.azure_blobs._config import EMULATOR_KEY
from storagekit.http import RetryPolicy
from storagekit.models import Container
from storagekit.providers import get_driver
from storagekit.types import Provider, StorageKitError
from tests.support.azure_blobs import (
    Azurite,
    AzuriteOAuth,
    UnsignedTokenCredential,
    cli_environment,
    fake_azure_cli,
    unsigned_jwt,
)
from tests.support.google_storage import make_service_account_info
from tests.support.google_tokens import TokenService
from tests.support.proxy import Fault, FaultProxy
from tests.support.s3 import SeaweedFS
from tests.support.servers import GCS_PROJECT, REPO

WRONG_S3_SECRET = "wrongS3secret/K7MDENG+bPxRfiCYzzEXAMPLEKEY"
S3_SESSION_TOKEN = "FwoGZXIvYXdzEJr-session-token-0123456789abcdef"
WRONG_AZURE_KEY = base64.b64encode(b"not the account key, 64 bytes long........................!!").decode()
GCS_ACCESS_TOKEN = "ya29.a0-test-access-token-0123456789abcdef"
GCS_REFRESH_TOKEN = "1//0g-test-refresh-token-0123456789abcdef"
GCS_CLIENT_SECRET = "GOCSPX-test-client-secret-0123456789"
ENVIRONMENT = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
               "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_CONFIG_FILE",
               "AWS_SHARED_CREDENTIALS_FILE", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT",
               "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "STORAGE_EMULATOR_HOST",
               "GOOGLE_APPLICATION_CREDENTIALS", "STORAGEKIT_CONFIG", "STORAGEKIT_PROFILE", "AZURE_TOKEN_CREDENTIALS",
               "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE")
JWT_HEADER = unsigned_jwt(60).split(".")[0]
"""The first part of every Entra token the tests mint: a token shown anywhere shows this."""
GCS_TOKEN_PREFIX = "ya29.storagekit-secret-token-"


@dataclass
class Case:
    """One credential form: how to build the driver, what must never show, how the CLI gets it."""

    build: Callable[[], StorageDriver]
    secrets: list[str]
    scheme: str
    env: dict[str, str] = field(default_factory=dict)
    """The credential as the CLI (and ``build``, for the environment forms) finds it."""
    cli: list[str] | None = field(default_factory=list)
    """Global CLI options (``--endpoint-url``, ``-p``); None: the form has no CLI spelling."""
    profile: dict[str, str] = field(default_factory=dict)
    """The credential as a storagekit profile holds it (shown by ``config list``)."""
    bucket: str = ""
    """A real container of the provider, made with good credentials before the case's environment is set."""


def _azure_key_forms(key: str) -> list[str]:
    """An Azure key's text, its base64 body without padding, and its decoded bytes as Python shows them."""
    return [key, key.rstrip("="), repr(base64.b64decode(key))[2:-1][:40]]


def _sas_signed_with(azurite: Azurite, key: str) -> tuple[str, str]:
    """A well-formed account SAS signed with ``key`` (the wrong one, or the right one): (token, its signature)."""
    token = generate_account_sas(
        azurite.account, key, ResourceTypes(service=True, container=True, object=True),
        AccountSasPermissions(read=True, write=True, list=True, create=True, delete=True, add=True),
        datetime.now(timezone.utc) + timedelta(hours=1),
    )
    signature = unquote(dict(part.split("=", 1) for part in token.split("&"))["sig"])
    return token, signature


def _s3_cases(server: SeaweedFS, tmp_path: Path) -> dict[str, Case]:
    def preset(**options: Any) -> StorageDriver:
        return get_driver(Provider.SEAWEEDFS)(region=server.region, endpoint_url=server.endpoint_url, **options)

    base_env = {"AWS_REGION": server.region, "AWS_ENDPOINT_URL": server.endpoint_url}
    env = {**base_env, "AWS_ACCESS_KEY_ID": server.access_key, "AWS_SECRET_ACCESS_KEY": WRONG_S3_SECRET}
    files = tmp_path / "aws-credentials"
    files.write_text(f"[default]\naws_access_key_id = {server.access_key}\n"
                     f"aws_secret_access_key = {WRONG_S3_SECRET}\naws_session_token = {S3_SESSION_TOKEN}\n")
    profile = {"provider": "seaweedfs", "key": server.access_key, "secret": WRONG_S3_SECRET}
    both = [WRONG_S3_SECRET, S3_SESSION_TOKEN]
    return {
        "s3-key-secret": Case(lambda: preset(key=server.access_key, secret=WRONG_S3_SECRET), [WRONG_S3_SECRET],
                              "s3", env, profile=profile),
        "s3-key-secret-token": Case(
            lambda: preset(key=server.access_key, secret=WRONG_S3_SECRET, token=S3_SESSION_TOKEN), both, "s3",
            {**env, "AWS_SESSION_TOKEN": S3_SESSION_TOKEN}, profile={**profile, "token": S3_SESSION_TOKEN}),
        "s3-profile-file": Case(preset, both, "s3", {**base_env, "AWS_SHARED_CREDENTIALS_FILE": str(files),
                                                     "AWS_CONFIG_FILE": str(tmp_path / "none")}),
        "s3-environment": Case(preset, [WRONG_S3_SECRET], "s3", env),
    }


def _azure_cases(azurite: Azurite) -> dict[str, Case]:
    def azure(**options: Any) -> StorageDriver:
        return get_driver(Provider.AZURE_BLOBS)(**options)

    sas, signature = _sas_signed_with(azurite, WRONG_AZURE_KEY)
    key_string = f"DefaultEndpointsProtocol=http;AccountName={azurite.account};AccountKey={WRONG_AZURE_KEY};" \
                 f"BlobEndpoint={azurite.endpoint};"
    sas_string = f"BlobEndpoint={azurite.endpoint};SharedAccessSignature={sas}"
    endpoint = ["--endpoint-url", azurite.endpoint]
    sas_secrets = [signature, quote(signature, safe="")]
    return {
        "azure-account-key": Case(
            lambda: azure(key=azurite.account, secret=WRONG_AZURE_KEY, endpoint_url=azurite.endpoint),
            _azure_key_forms(WRONG_AZURE_KEY), "az",
            {"AZURE_STORAGE_ACCOUNT": azurite.account, "AZURE_STORAGE_KEY": WRONG_AZURE_KEY}, endpoint,
            {"provider": "azure_blobs", "key": azurite.account, "secret": WRONG_AZURE_KEY}),
        "azure-sas-token": Case(
            lambda: azure(key=azurite.account, sas_token=sas, endpoint_url=azurite.endpoint), sas_secrets, "az",
            {"AZURE_STORAGE_ACCOUNT": azurite.account, "AZURE_STORAGE_SAS_TOKEN": sas}, endpoint,
            {"provider": "azure_blobs", "sas_token": sas}),
        "azure-connection-string-key": Case(
            lambda: azure(connection_string=key_string), _azure_key_forms(WRONG_AZURE_KEY), "az",
            {"AZURE_STORAGE_CONNECTION_STRING": key_string}, profile={"connection_string": key_string}),
        "azure-connection-string-sas": Case(
            lambda: azure(connection_string=sas_string), sas_secrets, "az",
            {"AZURE_STORAGE_CONNECTION_STRING": sas_string}, profile={"connection_string": sas_string}),
        "azure-credential-string": Case(
            lambda: azure(key=azurite.account, credential=WRONG_AZURE_KEY, endpoint_url=azurite.endpoint),
            _azure_key_forms(WRONG_AZURE_KEY), "az", cli=None, profile={"credential": WRONG_AZURE_KEY}),
    }


def _azure_token_cases(azurite: AzuriteOAuth) -> dict[str, Case]:
    expired = UnsignedTokenCredential(-120)  # every token it gives expired two minutes ago: Azurite says 401
    return {"azure-token-expired": Case(lambda: azurite.driver(expired), [JWT_HEADER], "az", cli=None)}


def _gcs_cases(endpoint: str, tmp_path: Path) -> dict[str, Case]:
    info = {**make_service_account_info(), "private_key_id": uuid.uuid4().hex,
            "token_uri": f"{endpoint}/token"}  # a token service that refuses to issue a token
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(info))
    secrets = [line for line in info["private_key"].splitlines()[2:6]] + [info["private_key_id"]]

    def gcs(credentials: Any) -> StorageDriver:
        return get_driver(Provider.GOOGLE_STORAGE)(credentials=credentials, project=GCS_PROJECT, endpoint_url=endpoint)

    adc = {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)}
    cli = ["--endpoint-url", endpoint]
    profile = {"provider": "google_storage", "credentials": json.dumps(info), "project": GCS_PROJECT,
               "endpoint_url": endpoint}
    return {
        "gcs-key-file-path": Case(lambda: gcs(str(key_file)), secrets, "gs", adc, cli),
        "gcs-key-dict": Case(lambda: gcs(dict(info)), secrets, "gs", adc, cli),
        "gcs-key-json-text": Case(lambda: gcs(json.dumps(info)), secrets, "gs", cli=["-p", "gcs"], profile=profile),
        "gcs-token": Case(lambda: gcs(TokenCredentials(GCS_ACCESS_TOKEN)), [GCS_ACCESS_TOKEN], "gs", cli=None),
        "gcs-token-expired": Case(  # expired, and the token service refuses to refresh it
            lambda: gcs(TokenCredentials(
                GCS_ACCESS_TOKEN, expiry=datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=5),
                refresh_token=GCS_REFRESH_TOKEN, client_id="storagekit-test", client_secret=GCS_CLIENT_SECRET,
                token_uri=f"{endpoint}/token")),
            [GCS_ACCESS_TOKEN, GCS_REFRESH_TOKEN, GCS_CLIENT_SECRET], "gs", cli=None),
    }


CASES = ["s3-key-secret", "s3-key-secret-token", "s3-profile-file", "s3-environment", "azure-account-key",
         "azure-sas-token", "azure-connection-string-key", "azure-connection-string-sas", "azure-credential-string",
         "azure-token-expired", "gcs-key-file-path", "gcs-key-dict", "gcs-key-json-text", "gcs-token",
         "gcs-token-expired"]


def _family(name: str) -> str:
    """The server (and so the bucket) a case runs against."""
    if name.startswith("azure-token"):
        return "az-oauth"
    return {"s3": "s3", "az": "az", "gc": "gs"}[name[:2]]


def _debug_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    """Every logger at DEBUG (the root and each one that set a level of its own), restored afterwards."""
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            caplog.set_level(logging.DEBUG, logger=name)


@pytest.fixture
def case(request: pytest.FixtureRequest, buckets: dict[str, str], tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Case:
    name: str = request.param
    bucket = buckets[_family(name)]
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("STORAGEKIT_CONFIG", str(tmp_path / "storagekit.ini"))
    if name.startswith("s3"):
        cases = _s3_cases(request.getfixturevalue("seaweedfs"), tmp_path)
    elif name.startswith("azure-token"):
        cases = _azure_token_cases(request.getfixturevalue("azurite_oauth"))
    elif name.startswith("azure"):
        cases = _azure_cases(request.getfixturevalue("azurite"))
    else:
        cases = _gcs_cases(request.getfixturevalue("fake_gcs_server"), tmp_path)
    chosen = cases[name]
    chosen.bucket = bucket
    for key, value in chosen.env.items():
        monkeypatch.setenv(key, value)
    return chosen


@pytest.fixture(scope="module")
def buckets(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """A real container per provider family, made with good credentials, so failures are about credentials."""
    made: dict[str, tuple[StorageDriver, Container]] = {}

    def make(scheme: str, driver: StorageDriver) -> str:
        if scheme not in made:
            made[scheme] = (driver, driver.create_container(f"secrets-{uuid.uuid4().hex[:12]}"))
        return made[scheme][1].name

    names = _LazyNames(make, request)
    yield names  # type: ignore[misc]
    for driver, container in made.values():
        for obj in driver.list_container_objects(container):  # what the accepted token (gcs-token) wrote
            driver.delete_object(obj)
        driver.delete_container(container)


class _LazyNames(dict):  # type: ignore[type-arg]
    """scheme -> container name, the container made on first use (only the servers a case needs start)."""

    def __init__(self, make: Callable[[str, StorageDriver], str], request: pytest.FixtureRequest) -> None:
        super().__init__()
        self._make, self._request = make, request

    def __missing__(self, scheme: str) -> str:
        fixture = {"s3": "seaweedfs", "az": "azurite", "gs": "fake_gcs_server", "az-oauth": "azurite_oauth"}[scheme]
        server = self._request.getfixturevalue(fixture)
        if scheme == "az-oauth":
            driver = server.driver(UnsignedTokenCredential())
        elif scheme == "gs":
            driver = get_driver(Provider.GOOGLE_STORAGE)(credentials="anonymous", project=GCS_PROJECT,
                                                         endpoint_url=server)
        else:
            driver = server.driver()
        self[scheme] = self._make(scheme, driver)
        return self[scheme]  # type: ignore[no-any-return]


def _walk(value: Any, seen: set[int], depth: int = 0) -> Iterator[str]:
    """repr and str of ``value`` and, through ``vars()``, of every storagekit object it holds."""
    if id(value) in seen or depth > 6:
        return
    seen.add(id(value))
    yield repr(value)
    yield str(value)
    children: list[Any] = []
    if isinstance(value, dict):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        children = list(value)
    elif type(value).__module__.startswith("storagekit") and hasattr(value, "__dict__"):
        yield str(vars(value))
        children = list(vars(value).values())
    for child in children:
        yield from _walk(child, seen, depth + 1)


def _provoke(driver: StorageDriver, bucket: str) -> list[BaseException]:
    """Every failing call we can make; the errors raised."""
    container = Container(bucket, {}, driver)
    calls: list[Callable[[], Any]] = [
        lambda: driver.get_container(bucket),
        lambda: driver.get_object(bucket, "missing/object.txt"),
        lambda: driver.list_container_objects(container),
        lambda: driver.upload_object_via_stream(iter([b"payload"]), container, "upload.txt"),
        lambda: list(driver.iterate_containers()),
    ]
    errors: list[BaseException] = []
    for call in calls:
        try:
            call()
        except StorageKitError as error:
            errors.append(error)
    return errors


def _error_texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), str(error.args), "".join(traceback.format_exception(error)),
            str(getattr(error, "__dict__", ""))]


def _cli(case: Case, bucket: str, tmp_path: Path) -> tuple[list[int], str]:
    """Run the command with the case's credential in its environment; (exit statuses, all output)."""
    source = tmp_path / "upload.txt"
    source.write_text("payload\n")
    url = f"{case.scheme}://{bucket}"
    commands = [["ls", f"{url}/"], ["--debug", "stat", f"{url}/missing.txt"],
                ["--debug", "cp", str(source), f"{url}/upload.txt"]]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    statuses, output = [], []
    for command in commands:
        done = subprocess.run([sys.executable, "-m", "storagekit.cli", *(case.cli or []), *command], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        statuses.append(done.returncode)
        output += [done.stdout, done.stderr]
    return statuses, "\n".join(output)


def _config_list(case: Case) -> str:
    done = subprocess.run([sys.executable, "-m", "storagekit.cli", "config", "list"],
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_no_secret_anywhere(case: Case, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bucket = case.bucket
    _debug_everywhere(caplog)
    driver = case.build()
    errors = _provoke(driver, bucket)
    assert errors, "a failing request was expected"
    texts = [*_walk(driver, set()), *(text for error in errors for text in _error_texts(error)),
             caplog.text, repr(caplog.records)]
    assert any(record.levelno == logging.DEBUG for record in caplog.records)  # requests were logged
    if case.profile:
        from storagekit.config import save_profile

        save_profile(case.scheme if case.cli != ["-p", "gcs"] else "gcs", case.profile)
        texts.append(_config_list(case))
    if case.cli is not None:
        statuses, output = _cli(case, bucket, tmp_path)
        assert any(status != 0 for status in statuses), output
        texts.append(output)
    for secret in case.secrets:
        leaks = [text for text in texts if secret in text]
        assert not leaks, f"{secret[:6]}... shown in: {leaks[0][:2000]}"


@pytest.mark.parametrize("content", [
    f"secret = {WRONG_S3_SECRET}\n[profile lab]\nprovider = minio\n",  # before any section header
    f"[profile lab]\nprovider = minio\n{WRONG_S3_SECRET}\n",  # a line that is no setting
])
def test_a_malformed_config_file_is_one_line_without_its_content(content: str, tmp_path: Path) -> None:
    config = tmp_path / "config.ini"
    config.write_text(content)
    env = {**os.environ, "PYTHONPATH": str(REPO), "STORAGEKIT_CONFIG": str(config)}
    for command in (["config", "list"], ["-p", "lab", "ls", "s3://bucket/"]):
        done = subprocess.run([sys.executable, "-m", "storagekit.cli", *command], env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        output = done.stdout + done.stderr
        assert done.returncode != 0 and WRONG_S3_SECRET not in output and "Traceback" not in output, output
        assert str(config) in output and "line" in output and len(output.strip().splitlines()) == 1, output


# ---------------------------------------------------------------------- working credentials, failing servers


@dataclass
class Working:
    """A credential form the server accepts: a driver on any endpoint, and everything that must never show."""

    build: Callable[..., StorageDriver]
    """``build(endpoint, **options)``: a driver on ``endpoint`` (the server, or the fault proxy before it)."""
    endpoint: str
    secrets: list[str]
    scheme: str
    env: dict[str, str]
    """The credential as the CLI finds it."""
    cli: list[str]
    proxied: bool = True
    """Whether the fault proxy (plain HTTP) may stand before the server: bearer tokens go only over HTTPS."""
    cert: str | None = None


def _working_azure(azurite: Azurite) -> dict[str, Working]:
    sas, signature = _sas_signed_with(azurite, EMULATOR_KEY)

    def azure(**credential: Any) -> Callable[..., StorageDriver]:
        return lambda endpoint, **options: get_driver(Provider.AZURE_BLOBS)(
            **credential, endpoint_url=endpoint, **options)

    def connection_string(endpoint: str, **options: Any) -> StorageDriver:
        text = f"DefaultEndpointsProtocol=http;AccountName={azurite.account};AccountKey={EMULATOR_KEY};" \
               f"BlobEndpoint={endpoint};"
        return get_driver(Provider.AZURE_BLOBS)(connection_string=text, **options)

    account = {"AZURE_STORAGE_ACCOUNT": azurite.account}
    cli = ["--endpoint-url", azurite.endpoint]
    return {
        "azure-account-key": Working(azure(key=azurite.account, secret=EMULATOR_KEY), azurite.endpoint,
                                     _azure_key_forms(EMULATOR_KEY), "az",
                                     {**account, "AZURE_STORAGE_KEY": EMULATOR_KEY}, cli),
        "azure-sas-token": Working(azure(key=azurite.account, sas_token=sas), azurite.endpoint,
                                   [signature, quote(signature, safe="")], "az",
                                   {**account, "AZURE_STORAGE_SAS_TOKEN": sas}, cli),
        "azure-connection-string": Working(connection_string, azurite.endpoint, _azure_key_forms(EMULATOR_KEY), "az",
                                           {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}, []),
    }


def _working_azure_token(azurite: AzuriteOAuth, tmp_path: Path) -> dict[str, Working]:
    def build(endpoint: str, **options: Any) -> StorageDriver:
        return azurite.driver(UnsignedTokenCredential(), endpoint_url=endpoint, **options)

    env = {"AZURE_STORAGE_ACCOUNT": azurite.account, "REQUESTS_CA_BUNDLE": azurite.cert,
           **cli_environment(fake_azure_cli(tmp_path / "az-cli"))}  # the CLI's DefaultAzureCredential uses `az`
    return {"azure-token": Working(build, azurite.endpoint, [JWT_HEADER], "az", env,
                                   ["--endpoint-url", azurite.endpoint], proxied=False, cert=azurite.cert)}


def _working_gcs(endpoint: str, tokens: TokenService, info: dict[str, Any], tmp_path: Path) -> dict[str, Working]:
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(info))
    secrets = [*info["private_key"].splitlines()[2:6], info["private_key_id"], GCS_TOKEN_PREFIX]

    def gcs(credentials: Any) -> Callable[..., StorageDriver]:
        return lambda endpoint, **options: get_driver(Provider.GOOGLE_STORAGE)(
            credentials=credentials, project=GCS_PROJECT, endpoint_url=endpoint, **options)

    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file), "GOOGLE_CLOUD_PROJECT": GCS_PROJECT}
    cli = ["--endpoint-url", endpoint]
    return {
        "gcs-key-file-path": Working(gcs(str(key_file)), endpoint, secrets, "gs", env, cli),
        "gcs-key-dict": Working(gcs(dict(info)), endpoint, secrets, "gs", env, cli),
        "gcs-key-json-text": Working(gcs(json.dumps(info)), endpoint, secrets, "gs", env, cli),
    }


WORKING = ["azure-account-key", "azure-sas-token", "azure-connection-string", "azure-token", "gcs-key-file-path",
           "gcs-key-dict", "gcs-key-json-text"]


@pytest.fixture
def working(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Working]:
    name: str = request.param
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("STORAGEKIT_CONFIG", str(tmp_path / "storagekit.ini"))
    if name == "azure-token":
        yield _working_azure_token(request.getfixturevalue("azurite_oauth"), tmp_path)[name]
    elif name.startswith("azure"):
        yield _working_azure(request.getfixturevalue("azurite"))[name]
    else:
        info = {**make_service_account_info(), "private_key_id": uuid.uuid4().hex}
        with TokenService.for_key(info, prefix=GCS_TOKEN_PREFIX) as tokens:
            info["token_uri"] = tokens.uri
            yield _working_gcs(request.getfixturevalue("fake_gcs_server"), tokens, info, tmp_path)[name]
            assert tokens.issued  # the driver and the CLI did get their tokens from it


def _fetch(url: str, cert: str | None) -> bytes:
    """GET a signed URL with the standard library (which logs nothing of it)."""
    context = ssl.create_default_context(cafile=cert) if cert else None
    with urllib.request.urlopen(url, timeout=30, context=context) as response:
        return response.read()  # type: ignore[no-any-return]


def _signature(url: str) -> str:
    query = parse_qs(urlsplit(url).query)
    return (query.get("sig") or query.get("X-Goog-Signature") or [""])[0]


def _transfers(driver: StorageDriver, container: Container, cert: str | None, tmp_path: Path,
               errors: list[BaseException]) -> list[str]:
    """Upload, download, sign and fetch URLs; the signatures of the URLs made."""
    data = os.urandom(100_000)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    obj = driver.upload_object(str(source), container, "dir/file.bin")
    streamed = driver.upload_object_via_stream(iter([data[:1000], data[1000:]]), container, "dir/stream.bin")
    assert b"".join(driver.download_object_as_stream(streamed)) == data
    assert driver.download_object(obj, str(tmp_path / "copy.bin")) and (tmp_path / "copy.bin").read_bytes() == data
    signatures = []
    try:
        url = driver.get_object_url(obj, expires_in=600)
    except StorageKitError as error:  # a SAS cannot sign another: a message to check too
        errors.append(error)
    else:
        signatures.append(_signature(url))
        assert signatures[-1] and _fetch(url, cert) == data
    return signatures


def _server_faults(working: Working, container: Container, errors: list[BaseException]) -> list[StorageDriver]:
    """The server answers 500 (until the retries run out), then 403, through the fault proxy."""
    if not working.proxied:
        return []
    upstream = urlsplit(working.endpoint)
    with FaultProxy(f"{upstream.scheme}://{upstream.netloc}") as proxy:
        driver = working.build(f"{proxy.url}{upstream.path}", retry=RetryPolicy(max_attempts=3, backoff_base=0.01))
        for status in (500, 403):
            proxy.inject(Fault("status", status=status, times=1000))
            for call in (lambda: driver.get_object(container.name, "dir/file.bin"),
                         lambda: driver.upload_object_via_stream(iter([b"x"]), container, "dir/faulted.bin")):
                with pytest.raises(StorageKitError) as raised:
                    call()
                errors.append(raised.value)
            assert any(kind == "status" for _, _, kind in proxy.log)
            proxy.clear()
    return [driver]


def _cli_round_trip(working: Working, container: Container, tmp_path: Path) -> str:
    """``cp`` up and down and ``ls`` with ``--debug`` and the credential in the environment; all output."""
    source, target = tmp_path / "cli-source.txt", tmp_path / "cli-copy.txt"
    source.write_text("through the command line\n")
    url = f"{working.scheme}://{container.name}"
    env = {**os.environ, **working.env, "PYTHONPATH": str(REPO)}
    output = []
    for command in (["cp", str(source), f"{url}/cli.txt"], ["cp", f"{url}/cli.txt", str(target)], ["ls", f"{url}/"]):
        done = subprocess.run([sys.executable, "-m", "storagekit.cli", "--debug", *working.cli, *command], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        output += [done.stdout, done.stderr]
    assert target.read_text() == source.read_text()
    return "\n".join(output)


@pytest.mark.parametrize("working", WORKING, indirect=True)
def test_no_secret_while_transfers_work_and_servers_fail(working: Working, tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    _debug_everywhere(caplog)
    driver = working.build(working.endpoint, **({"verify": working.cert} if working.cert else {}))
    container = driver.create_container(f"secrets-{uuid.uuid4().hex[:12]}")
    errors: list[BaseException] = []
    try:
        signatures = _transfers(driver, container, working.cert, tmp_path, errors)
        faulted = _server_faults(working, container, errors)
        cli_output = _cli_round_trip(working, container, tmp_path)
    finally:
        for obj in driver.list_container_objects(container):
            driver.delete_object(obj)
        driver.delete_container(container)
    assert sum(record.levelno == logging.DEBUG for record in caplog.records) > 10  # requests were logged
    texts = [*_walk(driver, set()), *(text for other in faulted for text in _walk(other, set())),
             *(text for error in errors for text in _error_texts(error)), caplog.text, repr(caplog.records),
             cli_output]
    for secret in [*working.secrets, *signatures, *(quote(sig, safe="") for sig in signatures)]:
        leaks = [text for text in texts if secret in text]
        assert not leaks, f"{secret[:6]}... shown in: {leaks[0][:2000]}"
