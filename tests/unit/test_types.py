"""The exception hierarchy speaks libcloud too: its names, its positional constructors, ``.value``, ``.http_code``."""

from __future__ import annotations

import pickle

import pytest

from storagekit import types
from storagekit.providers import get_driver
from storagekit.types import (
    BaseHTTPError,
    ContainerDoesNotExistError,
    ContainerError,
    DriverRef,
    InvalidContainerNameError,
    InvalidCredsError,
    InvalidCredsException,
    LibcloudError,
    MalformedResponseError,
    ObjectDoesNotExistError,
    ObjectHashMismatchError,
    Provider,
    ProviderError,
    RateLimitReachedError,
    ServiceUnavailableError,
    StorageKitError,
)

DRIVER = get_driver(Provider.MEMORY)()


def test_libcloud_names_are_the_same_classes() -> None:
    assert LibcloudError is StorageKitError and InvalidCredsException is InvalidCredsError
    assert issubclass(InvalidCredsError, ProviderError) and issubclass(ServiceUnavailableError, ProviderError)
    assert issubclass(RateLimitReachedError, BaseHTTPError) and issubclass(BaseHTTPError, LibcloudError)
    assert issubclass(InvalidCredsError, PermissionError)  # the builtin bases stay
    assert all(issubclass(getattr(types, name), LibcloudError) for name in types.__all__
               if name.endswith("Error") and isinstance(getattr(types, name), type))


@pytest.mark.parametrize(("error", "field", "value"), [
    (ObjectDoesNotExistError("gone", DRIVER, "a.txt"), "object_name", "a.txt"),
    (ObjectHashMismatchError("bad md5", DRIVER, "a.txt"), "object_name", "a.txt"),
    (ContainerError("busy", DRIVER, "box"), "container_name", "box"),
    (ContainerDoesNotExistError("no box", DRIVER, "box"), "container_name", "box"),
    (InvalidContainerNameError("bad", DRIVER, "a/b"), "container_name", "a/b"),
])
def test_libclouds_positional_forms(error: StorageKitError, field: str, value: str) -> None:
    assert error.driver is DRIVER and getattr(error, field) == value and error.value == str(error)


def test_storagekits_keyword_form_still_works() -> None:
    error = ObjectDoesNotExistError("gone", DRIVER, container_name="box", object_name="a.txt", http_status=404)
    assert (error.container_name, error.object_name, error.http_code, error.value) == ("box", "a.txt", 404, "gone")


def test_provider_error_takes_libclouds_http_code_or_storagekits_driver() -> None:
    libcloud_form = ProviderError("teapot", 418, driver=DRIVER)
    assert (libcloud_form.http_code, libcloud_form.http_status, libcloud_form.driver) == (418, 418, DRIVER)
    ours = ProviderError("teapot", DRIVER, http_status=418)
    assert (ours.http_code, ours.driver) == (418, DRIVER)


def test_invalid_creds_and_service_unavailable_have_libclouds_defaults() -> None:
    assert InvalidCredsError().value == "Invalid credentials with the provider"
    assert InvalidCredsError(value="no", driver=None).value == "no"
    assert ServiceUnavailableError().value == "Service unavailable at provider"


def test_malformed_response_keeps_its_body() -> None:
    assert MalformedResponseError("not XML", body="<oops", driver=DRIVER).body == "<oops"
    positional = MalformedResponseError("not XML", "<oops", DRIVER)
    assert (positional.body, positional.driver) == ("<oops", DRIVER)
    ours = MalformedResponseError("not XML", DRIVER)  # storagekit's (message, driver)
    assert (ours.body, ours.driver) == (None, DRIVER)


def test_rate_limit_reads_retry_after_from_libclouds_headers() -> None:
    error = RateLimitReachedError(headers={"Retry-After": "2.5"})
    assert (error.retry_after, error.headers, error.http_code, error.retryable) == (2.5, {"Retry-After": "2.5"},
                                                                                    429, True)
    assert RateLimitReachedError().value == "Rate limit exceeded"
    assert RateLimitReachedError("slow", DRIVER, retry_after=3).retry_after == 3


def test_base_http_error_takes_libclouds_code_message_headers() -> None:
    error = BaseHTTPError(500, "boom", {"x": "y"})
    assert (error.http_code, error.value, error.headers, error.code) == (500, "boom", {"x": "y"}, None)


def test_value_and_http_code_can_be_set_as_libcloud_code_does() -> None:
    error = ProviderError("first", 500)
    error.value, error.http_code = "second", 502
    assert (error.message, error.http_status) == ("second", 502)


@pytest.mark.parametrize("error", [
    MalformedResponseError("not XML", "<oops", DRIVER),
    RateLimitReachedError(headers={"Retry-After": "4"}),
    ProviderError("teapot", 418, DRIVER),
    BaseHTTPError(503, "later", {"Retry-After": "1"}),
])
def test_the_new_fields_survive_pickling(error: StorageKitError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and copy.value == error.value and copy.http_code == error.http_code
    assert getattr(copy, "body", None) == getattr(error, "body", None)
    assert getattr(copy, "headers", None) == getattr(error, "headers", None)
    assert copy.driver in (None, DriverRef.of(DRIVER))
