"""CaseInsensitiveDict: lookups ignore case, names keep the case last set, copies are independent."""

from __future__ import annotations

from storagekit.headers import CaseInsensitiveDict


def test_update_takes_mappings_pairs_other_dicts_and_keywords() -> None:
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict({"Content-Type": "text/plain"})
    headers.update([("ETag", '"1"')], x_extra="k")
    headers.update(CaseInsensitiveDict({"content-type": "application/json"}))
    assert dict(headers.items()) == {"content-type": "application/json", "ETag": '"1"', "x_extra": "k"}
    assert headers["CONTENT-TYPE"] == "application/json" and list(headers) == ["content-type", "ETag", "x_extra"]


def test_get_and_copy() -> None:
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(Host="h")
    assert (headers.get("HOST"), headers.get("missing"), headers.get("missing", "d")) == ("h", None, "d")
    copied = headers.copy()
    copied["host"] = "other"
    assert headers["Host"] == "h" and copied["HOST"] == "other"
    assert headers == {"host": "h"} and len(headers.items()) == 1
