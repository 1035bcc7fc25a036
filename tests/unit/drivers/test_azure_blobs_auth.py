"""Azure authorization without a server: Shared Key strings to sign, SAS fields, account resolution.

The expected strings are built here from the rules of Microsoft's "Authorize with Shared
Key", "Create a service SAS" and "Create a user delegation SAS" pages (the examples of the
first are reproduced), not from the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import pickle
import sys
from datetime import datetime, timezone
from urllib.parse import parse_qsl

import pytest
import requests
from azure.core.credentials import AccessToken, AccessTokenInfo, AzureNamedKeyCredential, AzureSasCredential
from azure.identity import CredentialUnavailableError, DefaultAzureCredential

from storagekit.drivers.azure_blobs._auth import BearerTokenAuth, SasAuth, SharedKeyAuth, string_to_sign
from storagekit.drivers.azure_blobs._config import EMULATOR_KEY, resolve
from storagekit.drivers.azure_blobs._sas import SAS_VERSION, UserDelegationKey, blob_sas
from storagekit.secret import Secret, reveal
from storagekit.types import InvalidCredsError, InvalidOptionError
from storagekit.urls import open_url

KEY = base64.b64encode(b"a test account key of 32 bytes!!").decode()
EMPTY_STANDARD_HEADERS = "\n" * 11  # Content-Encoding ... Range, all absent


def _hmac(key: str, text: str) -> str:
    return base64.b64encode(hmac.new(base64.b64decode(key), text.encode(), hashlib.sha256).digest()).decode()


# ---------------------------------------------------------------------- Shared Key


def test_documented_example_string_to_sign() -> None:
    """The "Authorize with Shared Key" example: Get Container Metadata with a timeout."""
    headers = {"x-ms-date": "Sun, 11 Oct 2009 21:49:13 GMT", "x-ms-version": "2009-09-19"}
    url = "http://myaccount.blob.core.windows.net/myaccount/mycontainer?restype=container&comp=metadata&timeout=20"
    assert string_to_sign("GET", url, headers, "myaccount") == (
        "GET\n" + EMPTY_STANDARD_HEADERS
        + "x-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\nx-ms-version:2009-09-19\n"
        + "/myaccount/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20"
    )


@pytest.mark.parametrize(
    ("url", "resource"),
    [
        ("https://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=metadata",
         "/myaccount/mycontainer\ncomp:metadata\nrestype:container"),
        ("https://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=list&include=snapshots"
         "&include=metadata&include=uncommittedblobs",
         "/myaccount/mycontainer\ncomp:list\ninclude:metadata,snapshots,uncommittedblobs\nrestype:container"),
        ("https://myaccount-secondary.blob.core.windows.net/mycontainer/myblob", "/myaccount/mycontainer/myblob"),
        ("https://myaccount.blob.core.windows.net/", "/myaccount/"),
        ("https://myaccount.blob.core.windows.net", "/myaccount/"),
        ("https://myaccount.blob.core.windows.net/c/a%20b/%E6%96%87?comp=block&blockid=YWJj%2BZA%3D%3D",
         "/myaccount/c/a%20b/%E6%96%87\nblockid:YWJj+ZA==\ncomp:block"),
        ("https://myaccount.blob.core.windows.net/c?Restype=container&COMP=list&prefix=",
         "/myaccount/c\ncomp:list\nprefix:\nrestype:container"),
    ],
)
def test_canonicalized_resource(url: str, resource: str) -> None:
    """Documented examples, plus: the path as sent (encoded), query names lowercased, values decoded."""
    assert string_to_sign("GET", url, {}, "myaccount") == "GET\n" + EMPTY_STANDARD_HEADERS + resource


def test_standard_headers_in_their_places() -> None:
    headers = {
        "Content-Type": "text/plain", "Content-MD5": "rL0Y20zC+Fzt72VPzMSk2A==", "Content-Length": "3",
        "Content-Encoding": "gzip", "Content-Language": "fr", "If-Match": '"0x8D"', "If-None-Match": "*",
        "Range": "bytes=0-9", "If-Modified-Since": "A", "If-Unmodified-Since": "B", "Date": "D",
    }
    text = string_to_sign("put", "https://a.blob.core.windows.net/c/b", headers, "a")
    assert text.split("\n")[:12] == [
        "PUT", "gzip", "fr", "3", "rL0Y20zC+Fzt72VPzMSk2A==", "text/plain", "D", "A", '"0x8D"', "*", "B", "bytes=0-9",
    ]


def test_zero_content_length_signs_as_empty() -> None:
    text = string_to_sign("PUT", "https://a.blob.core.windows.net/c", {"Content-Length": "0"}, "a")
    assert text == "PUT\n" + EMPTY_STANDARD_HEADERS + "/a/c"


def test_canonical_headers_lowercased_trimmed_sorted_as_the_service_does() -> None:
    headers = {
        "x-ms-version": "2025-11-05", "X-MS-Meta-ab": "3", "x-ms-meta-a1": " 2 ", "x-ms-meta-A_b": "1",
        "x-ms-date": "now", "x-ms-blob-type": "BlockBlob", "x-ms-meta-Words": "two  spaces", "Other": "not signed",
    }
    text = string_to_sign("PUT", "https://a.blob.core.windows.net/c/b", headers, "a")
    assert text.split("\n")[12:-1] == [
        "x-ms-blob-type:BlockBlob", "x-ms-date:now",
        "x-ms-meta-a_b:1", "x-ms-meta-a1:2", "x-ms-meta-ab:3",  # "_" sorts before digits and letters
        "x-ms-meta-words:two  spaces", "x-ms-version:2025-11-05",
    ]


def test_shared_key_auth_signs_the_prepared_request() -> None:
    request = requests.Request(
        "PUT", "https://acct.blob.core.windows.net/c/a%20b?comp=block&blockid=QQ%3D%3D",
        headers={"x-ms-version": "2025-11-05", "Content-MD5": "abc="}, data=b"body",
    ).prepare()
    SharedKeyAuth(lambda: ("acct", KEY))(request)
    assert request.headers["x-ms-date"].endswith(" GMT")
    expected = string_to_sign("PUT", request.url or "", request.headers, "acct")
    assert "\n4\nabc=\n" in expected and "/acct/c/a%20b\nblockid:QQ==\ncomp:block" in expected
    assert request.headers["Authorization"] == f"SharedKey acct:{_hmac(KEY, expected)}"
    assert KEY not in repr(SharedKeyAuth(lambda: ("acct", KEY)))


def test_named_key_credential_is_read_on_every_request() -> None:
    credential = AzureNamedKeyCredential("acct", KEY)
    auth = resolve(None, None, None, credential, None, None, environ={}).auth
    first = auth(requests.Request("GET", "https://acct.blob.core.windows.net/").prepare())
    credential.update("acct", EMULATOR_KEY)
    second = auth(requests.Request("GET", "https://acct.blob.core.windows.net/").prepare())
    for request, key in ((first, KEY), (second, EMULATOR_KEY)):
        text = string_to_sign("GET", request.url, request.headers, "acct")
        assert request.headers["Authorization"] == f"SharedKey acct:{_hmac(key, text)}"


def test_sas_auth_appends_the_current_token() -> None:
    credential = AzureSasCredential("?sv=2020-12-06&sig=one")
    auth = resolve("acct", None, None, credential, None, None, environ={}).auth
    assert isinstance(auth, SasAuth)
    assert auth(requests.Request("GET", "https://a/c?comp=list").prepare()).url == "https://a/c?comp=list&sv=2020-12-06&sig=one"
    credential.update("sv=2020-12-06&sig=two")
    assert auth(requests.Request("GET", "https://a/c").prepare()).url == "https://a/c?sv=2020-12-06&sig=two"


def test_bearer_token_is_cached_and_refreshed_before_expiry() -> None:
    now = [1_000_000.0]
    issued: list[tuple[str, ...]] = []

    class Credential:
        def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
            issued.append(scopes)
            return AccessToken(f"token-{len(issued)}", int(now[0]) + 3600)

    auth = BearerTokenAuth(Credential(), clock=lambda: now[0])
    headers = []
    for advance in (0, 1000, 2000, 299, 2, 3000):  # 301 s left: kept; 299 s left: refreshed
        now[0] += advance
        headers.append(auth(requests.Request("GET", "https://a/").prepare()).headers["Authorization"])
    assert headers == ["Bearer token-1"] * 4 + ["Bearer token-2"] * 2
    assert issued == [("https://storage.azure.com/.default",)] * 2


def test_token_info_refresh_hint_is_honoured() -> None:
    now = [1_000_000.0]
    issued: list[str] = []

    class Credential:  # the newer azure-core protocol only
        def get_token_info(self, *scopes: str, options: object = None) -> AccessTokenInfo:
            issued.append(scopes[0])
            return AccessTokenInfo(f"info-{len(issued)}", int(now[0]) + 3600, refresh_on=int(now[0]) + 1800)

    auth = resolve("acct", None, None, Credential(), None, None, environ={}).auth
    assert isinstance(auth, BearerTokenAuth)
    auth._clock = lambda: now[0]
    headers = []
    for advance in (0, 1799, 1):
        now[0] += advance
        headers.append(auth(requests.Request("GET", "https://a/").prepare()).headers["Authorization"])
    assert headers == ["Bearer info-1", "Bearer info-1", "Bearer info-2"]


# ---------------------------------------------------------------------- SAS


EXPIRY = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_service_sas_fields_and_signature() -> None:
    query = dict(parse_qsl(blob_sas(account="acct", container="c", blob="dir/a b.txt", permissions="r",
                                    expiry=EXPIRY, key=base64.b64decode(KEY), protocol="https")))
    assert {k: v for k, v in query.items() if k != "sig"} == {
        "sv": "2020-12-06", "se": "2030-01-02T03:04:05Z", "sr": "b", "sp": "r", "spr": "https",
    }
    # sp, st, se, canonicalized resource, si, sip, spr, sv, sr, snapshot time, ses, rscc, rscd, rsce, rscl, rsct
    fields = ["r", "", "2030-01-02T03:04:05Z", "/blob/acct/c/dir/a b.txt", "", "", "https", SAS_VERSION, "b",
              "", "", "", "", "", "", ""]
    assert query["sig"] == _hmac(KEY, "\n".join(fields))


def test_user_delegation_sas_fields_and_signature() -> None:
    value = base64.b64encode(b"the delegation key").decode()
    udk = UserDelegationKey("oid", "tid", "2030-01-01T00:00:00Z", "2030-01-03T00:00:00Z", "b", "2025-11-05", value)
    query = dict(parse_qsl(blob_sas(account="acct", container="c", blob="b.bin", permissions="cw", expiry=EXPIRY,
                                    delegation_key=udk)))
    assert (query["skoid"], query["sktid"], query["skt"], query["ske"], query["sks"], query["skv"]) == (
        "oid", "tid", "2030-01-01T00:00:00Z", "2030-01-03T00:00:00Z", "b", "2025-11-05")
    assert "spr" not in query and value not in repr(udk)
    # sp, st, se, resource, skoid, sktid, skt, ske, sks, skv, saoid, suoid, scid, sip, spr, sv, sr,
    # snapshot time, ses, rscc, rscd, rsce, rscl, rsct
    fields = ["cw", "", "2030-01-02T03:04:05Z", "/blob/acct/c/b.bin", "oid", "tid", "2030-01-01T00:00:00Z",
              "2030-01-03T00:00:00Z", "b", "2025-11-05", "", "", "", "", "", SAS_VERSION, "b",
              "", "", "", "", "", "", ""]
    assert query["sig"] == _hmac(value, "\n".join(fields))


# ---------------------------------------------------------------------- account resolution


def test_development_storage_connection_string() -> None:
    config = resolve(None, None, None, None, None, "UseDevelopmentStorage=true", environ={})
    assert (config.endpoint, config.account) == ("http://127.0.0.1:10000/devstoreaccount1", "devstoreaccount1")
    assert isinstance(config.auth, SharedKeyAuth) and config.auth.account_key()[1] == base64.b64decode(EMULATOR_KEY)
    proxied = resolve(None, None, None, None, None,
                      "UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://10.0.0.5", environ={})
    assert proxied.endpoint == "http://10.0.0.5:10000/devstoreaccount1"


def test_account_key_connection_string_in_a_sovereign_cloud() -> None:
    config = resolve(None, None, None, None, None,
                     f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={KEY};"
                     "EndpointSuffix=core.chinacloudapi.cn", environ={})
    assert (config.endpoint, config.account) == ("https://acct.blob.core.chinacloudapi.cn", "acct")
    assert isinstance(config.auth, SharedKeyAuth)


def test_sas_connection_string_and_environment() -> None:
    config = resolve(None, None, None, None, None,
                     "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=1&sig=x", environ={})
    assert (config.endpoint, config.account, reveal(config.sas_token)) == ("https://acct.blob.core.windows.net", "acct",
                                                                   "sv=1&sig=x")
    env = {"AZURE_STORAGE_ACCOUNT": "envacct", "AZURE_STORAGE_SAS_TOKEN": "?sv=1&sig=y"}
    config = resolve(None, None, None, None, None, None, environ=env)
    assert (config.endpoint, reveal(config.sas_token)) == ("https://envacct.blob.core.windows.net", "sv=1&sig=y")
    env = {"AZURE_STORAGE_CONNECTION_STRING": f"AccountName=cs;AccountKey={KEY}", "AZURE_STORAGE_ACCOUNT": "no"}
    assert resolve(None, None, None, None, None, None, environ=env).account == "cs"


def test_endpoints_for_emulators_and_private_links() -> None:
    assert resolve("acct", KEY, None, None, "http://127.0.0.1:10000", None, environ={}).endpoint == \
        "http://127.0.0.1:10000/acct"
    config = resolve(None, None, "sv=1&sig=z", None, "https://acct.privatelink.blob.core.windows.net/", None,
                     environ={})
    assert (config.endpoint, config.account) == ("https://acct.privatelink.blob.core.windows.net", "acct")
    assert resolve(None, None, None, None, "http://localhost:10000/devstoreaccount1", None,
                   environ={}).account == "devstoreaccount1"


def test_bad_configurations_are_refused_clearly() -> None:
    with pytest.raises(InvalidCredsError, match="no Azure storage account"):
        resolve(None, None, None, None, None, None, environ={})
    with pytest.raises(InvalidOptionError, match="Name=Value"):
        resolve(None, None, None, None, None, "AccountName=a;garbage", environ={})
    with pytest.raises(InvalidOptionError, match="TokenCredential"):
        resolve("acct", None, None, object(), None, None, environ={})
    with pytest.raises(InvalidOptionError, match="http"):
        resolve("acct", KEY, None, None, "ftp://host", None, environ={})
    with pytest.raises(InvalidOptionError, match="base64") as info:
        resolve("acct", "secret-not-base64!", None, None, None, None, environ={})
    assert "secret-not-base64!" not in str(info.value)


def _shown(value: object) -> str:
    """What a repr or a ``vars()`` dump of ``value`` and its attributes shows."""
    texts = [repr(value), str(vars(value)) if hasattr(value, "__dict__") else ""]
    for attribute in getattr(value, "__dict__", {}).values():
        texts += [repr(attribute), str(vars(attribute)) if hasattr(attribute, "__dict__") else ""]
    return "\n".join(texts)


def test_no_form_of_credential_shows_in_reprs_or_vars() -> None:
    sas = "sv=2020-12-06&ss=b&sig=c2FzLXNpZ25hdHVyZQ%3D%3D"

    class Credential:
        def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
            return AccessToken("bearer-token-value", 4_000_000_000)

    forms = [
        ("acct", KEY, None, None, None), ("acct", None, sas, None, None), ("acct", None, None, KEY, None),
        ("acct", None, None, sas, None), ("acct", None, None, AzureNamedKeyCredential("acct", KEY), None),
        ("acct", None, None, AzureSasCredential(sas), None), ("acct", None, None, Credential(), None),
        (None, None, None, None, f"AccountName=acct;AccountKey={KEY}"),
        (None, None, None, None, f"BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature={sas}"),
        ("acct", Secret(KEY), None, None, None), ("acct", None, Secret(sas), None, None),
        (None, None, None, None, Secret(f"AccountName=acct;AccountKey={KEY}")),
    ]
    for key, secret, sas_token, credential, connection_string in forms:
        config = resolve(key, secret, sas_token, credential, None, connection_string, environ={})
        assert config.auth is not None
        config.auth(requests.Request("GET", "https://acct.blob.core.windows.net/c?comp=list").prepare())
        shown = _shown(config)
        for secret_text in (KEY, KEY.rstrip("="), "c2FzLXNpZ25hdHVyZQ", "bearer-token-value"):
            assert secret_text not in shown, (key, secret_text)
    delegation = UserDelegationKey("oid", "tid", "start", "expiry", "b", "2025-11-05", KEY)
    assert KEY not in repr(delegation) and KEY not in str(vars(delegation)) and delegation.value.reveal() == KEY


# ---------------------------------------------------------------------- creds dicts, DefaultAzureCredential, anonymous


@pytest.mark.parametrize("form", ["account-key", "sas", "connection-string", "credential"])
def test_creds_dict_in_the_sdk_names(form: str) -> None:
    sas = "sv=2020-12-06&ss=b&sig=c2FzLXNpZ25hdHVyZQ%3D%3D"
    creds = {
        "account-key": {"account_name": "acct", "account_key": KEY},
        "sas": {"account_name": "acct", "sas_token": sas, "account_url": "https://acct.blob.core.windows.net"},
        "connection-string": {"connection_string": f"AccountName=acct;AccountKey={KEY}"},
        "credential": {"account_name": "acct", "credential": AzureNamedKeyCredential("acct", KEY)},
    }[form]
    config = resolve(None, None, None, None, None, None, environ={}, creds=creds)
    assert (config.account, config.endpoint) == ("acct", "https://acct.blob.core.windows.net")
    assert isinstance(config.auth, SasAuth if form == "sas" else SharedKeyAuth)
    driver = open_url("az://container/key", creds=creds).driver
    assert isinstance(driver._config.auth, type(config.auth))  # type: ignore[attr-defined]
    copy = pickle.loads(pickle.dumps(driver))
    assert copy._config.account == "acct" and isinstance(copy._config.auth, type(config.auth))


def test_arguments_win_over_creds_and_unknown_creds_keys_are_named_not_shown() -> None:
    config = resolve("other", None, None, None, None, None, environ={},
                     creds={"account_name": "acct", "account_key": KEY})
    assert config.account == "other" and config.shared_key.account_key()[0] == "other"  # type: ignore[union-attr]
    with pytest.raises(InvalidOptionError, match="accountkey") as error:
        resolve(None, None, None, None, None, None, environ={}, creds={"account_name": "acct", "accountkey": KEY})
    assert KEY not in str(error.value) and "account_key" in str(error.value)
    with pytest.raises(InvalidOptionError, match="dict"):
        resolve(None, None, None, None, None, None, environ={}, creds=KEY)  # type: ignore[arg-type]


def test_an_account_alone_uses_default_azure_credential() -> None:
    config = resolve("acct", None, None, None, None, None, environ={})
    assert isinstance(config.auth, BearerTokenAuth)
    assert type(config.auth.credential) is DefaultAzureCredential
    from_environment = resolve(None, None, None, None, None, None, environ={"AZURE_STORAGE_ACCOUNT": "acct"})
    assert type(from_environment.bearer.credential) is DefaultAzureCredential  # type: ignore[union-attr]


def test_an_account_alone_without_azure_identity_says_what_to_install_or_pass(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # what an environment without the extra imports
    with pytest.raises(InvalidCredsError) as error:
        resolve("acct", None, None, None, None, None, environ={})
    message = str(error.value)
    hints = ("storagekit[azure]", "azure-identity", "secret=", "sas_token=", "connection_string=", "anonymous=True")
    for hint in hints:
        assert hint in message


def test_anonymous_sends_no_credential_and_goes_with_none() -> None:
    config = resolve("acct", None, None, None, None, None, environ={"AZURE_STORAGE_KEY": KEY}, anonymous=True)
    assert config.auth is None and config.endpoint == "https://acct.blob.core.windows.net"
    with pytest.raises(InvalidOptionError, match="anonymous") as error:
        resolve("acct", KEY, None, None, None, None, environ={}, anonymous=True)
    assert KEY not in str(error.value)


def test_bearer_token_is_refused_over_plain_http_before_a_token_is_asked_for() -> None:
    asked: list[str] = []

    class Credential:
        def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
            asked.append(scopes[0])
            return AccessToken("bearer-token-value", 4_000_000_000)

    auth = BearerTokenAuth(Credential())
    request = requests.Request("GET", "http://127.0.0.1:10000/devstoreaccount1/c").prepare()
    with pytest.raises(InvalidOptionError, match="only over HTTPS"):
        auth(request)
    assert asked == [] and "Authorization" not in request.headers


def test_a_credential_that_gives_no_token_is_invalid_creds() -> None:
    class Credential:
        def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
            raise CredentialUnavailableError(message="no managed identity endpoint found")

    with pytest.raises(InvalidCredsError, match=r"Credential gave no token.*no managed identity"):
        BearerTokenAuth(Credential())(requests.Request("GET", "https://acct.blob.core.windows.net/").prepare())
