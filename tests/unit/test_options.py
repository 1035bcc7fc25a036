"""UploadOptions.parse: values that go into headers hold no control characters; types are checked."""

from __future__ import annotations

from typing import Any

import pytest

from storagekit.options import UploadOptions
from storagekit.types import InvalidOptionError


def test_tabs_and_unicode_are_values_like_any_other() -> None:
    options = UploadOptions.parse({"content_type": "text/plain;\tcharset=utf-8"}, {"note": "café"}, {"x-a": "b"})
    assert options.content_type == "text/plain;\tcharset=utf-8"
    assert options.meta_data == {"note": "café"} and options.headers == {"x-a": "b"}


@pytest.mark.parametrize(("extra", "ex_meta", "headers", "named"), [
    ({"ContentType": "a\r\nb"}, None, None, "upload option 'ContentType'"),
    ({"content_disposition": "a\nb"}, None, None, "upload option 'content_disposition'"),
    ({"acl": "private\x00"}, None, None, "upload option 'acl'"),
    (None, {"k": "v\x7f"}, None, "metadata value for 'k'"),
    (None, {"k\r": "v"}, None, "metadata name in ex_meta"),
    ({"metadata": {"k": "a\nb"}}, None, None, "metadata value for 'k'"),
    (None, None, {"x-a": "b\r\nInjected: 1"}, "header 'x-a'"),
    (None, None, {"x-a\n": "b"}, "header name"),
], ids=repr)
def test_control_characters_are_refused_and_named(extra: Any, ex_meta: Any, headers: Any, named: str) -> None:
    with pytest.raises(InvalidOptionError, match=f"^{named} holds the control character"):
        UploadOptions.parse(extra, ex_meta, headers)


@pytest.mark.parametrize(("extra", "headers"), [({"content_type": 5}, None), (None, {"x-a": 5}), (None, {5: "a"}),
                                                (None, "x-a: b")], ids=repr)
def test_values_of_the_wrong_type_are_refused(extra: Any, headers: Any) -> None:
    with pytest.raises(InvalidOptionError, match="must be"):
        UploadOptions.parse(extra, None, headers)
