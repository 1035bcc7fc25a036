"""storagekit.secret: a wrapped secret never shows itself, and still works where it is revealed."""

from __future__ import annotations

import json
import pickle

import pytest

from storagekit.secret import Secret, reveal, wrap

TEXT = "sv=2020-12-06&sig=very-secret-signature"


def test_every_representation_is_masked() -> None:
    secret = Secret(TEXT)
    holder = {"token": secret, "nested": [secret]}
    logged = "%s %r" % (secret, secret)  # noqa: UP031 - the formatting logging uses
    shown = [repr(secret), str(secret), f"{secret}", f"{secret:>20}", logged, str(holder), repr(holder)]
    assert all(TEXT not in text for text in shown)
    assert repr(secret) == "Secret('***')" and str(secret) == "***"
    with pytest.raises(TypeError):
        vars(secret)
    with pytest.raises(TypeError):  # not a str: concatenation and json cannot leak it either
        json.dumps(holder)
    with pytest.raises(TypeError):
        "prefix " + secret  # type: ignore[operator]


def test_reveal_compare_and_pickle() -> None:
    secret = Secret(TEXT)
    assert secret.reveal() == TEXT and bool(secret) and not Secret("")
    assert secret == Secret(TEXT) and secret != Secret("other") and secret != TEXT
    assert hash(secret) == hash(Secret(TEXT))
    assert pickle.loads(pickle.dumps(secret)).reveal() == TEXT
    assert Secret(b"\x00key").reveal() == b"\x00key"


def test_wrap_and_reveal_helpers() -> None:
    assert wrap(None) is None and wrap("") is None and wrap(Secret("")) is None
    secret = Secret(TEXT)
    assert wrap(secret) is secret and wrap(TEXT) == secret
    assert reveal(secret) == TEXT and reveal(TEXT) == TEXT and reveal(None) is None


def test_only_text_or_bytes_can_be_wrapped() -> None:
    with pytest.raises(TypeError, match="not int") as info:
        Secret(12345)  # type: ignore[type-var]
    assert "12345" not in str(info.value)
