"""Instance metadata against the IMDSv2 test server: switched off, absent, and the token flow."""

from __future__ import annotations

import pytest

from storagekit.credentials.aws.imds import InstanceMetadataProvider
from tests.support.aws_metadata import ROLE, AwsMetadataServer
from tests.support.servers import free_port


def test_disabled_means_not_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    with AwsMetadataServer() as server:
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url)
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        assert InstanceMetadataProvider().load() is None
        assert server.token_requests == 0


def test_no_service_means_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    assert InstanceMetadataProvider().load() is None


def test_token_then_role_then_document(monkeypatch: pytest.MonkeyPatch) -> None:
    with AwsMetadataServer(lifetime=600) as server:
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url + "/")
        found = InstanceMetadataProvider().load()
        assert found is not None and found.token and found.expiration is not None
        assert found.source == f"EC2 instance metadata role {ROLE}"
        assert (server.token_requests, server.credential_requests) == (1, 1)
