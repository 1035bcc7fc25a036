"""STS: which endpoint is asked, and that the signer signs for a service other than s3."""

from __future__ import annotations

from storagekit.credentials.sts import endpoint
from storagekit.drivers.s3._auth import EMPTY_SHA256, authorization
from storagekit.drivers.s3._credentials import Credentials


def test_endpoint_order() -> None:
    assert endpoint("eu-central-1", {}) == "https://sts.eu-central-1.amazonaws.com"
    assert endpoint(None, {}) == "https://sts.us-east-1.amazonaws.com"
    generic = {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}
    assert endpoint("eu-central-1", generic) == "http://127.0.0.1:5000"
    assert endpoint("eu-central-1", {**generic, "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:5001"}) == \
        "http://127.0.0.1:5001"


def test_signer_takes_the_service_name() -> None:
    """AWS's published SigV4 test suite, ``get-vanilla`` (service ``service``)."""
    header = authorization(
        "GET", "/", "", {"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"}, EMPTY_SHA256,
        "20150830T123600Z", Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "us-east-1",
        "service",
    )
    assert header == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )
