"""Swift answers no local server gives on demand: a listing that is not one, partial bulk-delete
reports, a write answered without an ETag (scripted through the transport seam)."""

from __future__ import annotations

import json

import pytest

from storagekit.models import Object
from storagekit.providers import get_driver
from storagekit.types import (
    MalformedResponseError,
    ObjectDoesNotExistError,
    PermissionDeniedError,
    Provider,
)
from tests.support.replay import Answer, ReplayTransport

STORAGE = "https://swift.test/v1/AUTH_a"


def _driver(*answers: Answer) -> tuple[object, ReplayTransport]:
    replay = ReplayTransport(list(answers))
    return get_driver(Provider.OPENSTACK_SWIFT)(storage_url=STORAGE, auth_token="tk", transport=replay), replay


@pytest.mark.parametrize("body", [b"<html>captive portal</html>", b'{"name": "x"}', b'[{"bytes": 1}]', b"[1]"])
def test_a_listing_that_is_not_one_is_malformed(body: bytes) -> None:
    driver, _ = _driver((200, {"Content-Type": "application/json"}, body))
    with pytest.raises(MalformedResponseError):
        driver.list_container_objects(driver._as_container("c"))  # type: ignore[attr-defined]


def test_a_bulk_delete_report_names_each_failure() -> None:
    report = {"Response Status": "400 Bad Request", "Number Deleted": 1, "Number Not Found": 0,
              "Errors": [["/c/locked%20one", "403 Forbidden"]]}
    driver, replay = _driver((200, {"Content-Type": "application/json"}, b"  \n" + json.dumps(report).encode()))
    container = driver._as_container("c")  # type: ignore[attr-defined]
    errors = driver.delete_objects([Object(n, 1, None, {}, {}, container, driver)  # type: ignore[attr-defined,arg-type]
                                    for n in ("ok", "locked one")])
    assert [type(error) for error in errors] == [PermissionDeniedError]
    assert errors[0].object_name == "locked one" and errors[0].container_name == "c"
    assert replay.requests[0].url == f"{STORAGE}?bulk-delete"
    assert replay.requests[0].body == b"/c/ok\n/c/locked%20one"


def test_deleting_a_missing_object_through_the_slo_delete_says_so() -> None:
    report = {"Response Status": "200 OK", "Number Deleted": 0, "Number Not Found": 1, "Errors": []}
    driver, _ = _driver((200, {"Content-Type": "application/json"}, json.dumps(report).encode()))
    with pytest.raises(ObjectDoesNotExistError):
        driver._delete_object(driver._as_container("c"), "gone")  # type: ignore[attr-defined]


def test_a_put_answered_without_an_etag_is_malformed() -> None:
    driver, _ = _driver((201, {}, b""))
    with pytest.raises(MalformedResponseError, match="without an ETag"):
        driver.upload_object_via_stream([b"x"], driver._as_container("c"), "o")  # type: ignore[attr-defined]
