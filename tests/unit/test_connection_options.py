"""Connection settings of the wrong type are refused by every HTTP driver's constructor, named."""

from __future__ import annotations

from typing import Any

import pytest

from storagekit.http import RetryPolicy
from storagekit.types import InvalidOptionError
from tests.support.hostile_clouds import CLOUDS, cloud_driver

URL = "http://127.0.0.1:9"


@pytest.mark.parametrize(("option", "value"), [
    ("timeout", "abc"), ("timeout", None), ("timeout", -1), ("timeout", 0), ("timeout", float("nan")),
    ("timeout", float("inf")), ("timeout", (1.0,) * 3), ("timeout", (1.0, "x")), ("timeout", [1, 2]),
    ("timeout", True),
    ("pool_size", "x"), ("pool_size", 0), ("pool_size", 2.5), ("pool_size", True),
    ("retry", "x"), ("retry", 3), ("retry", {"max_attempts": 1}),
    ("verify", 3), ("verify", None),
], ids=repr)
@pytest.mark.parametrize("provider", CLOUDS)
def test_a_connection_setting_of_the_wrong_type_is_an_invalid_option(provider: str, option: str, value: Any) -> None:
    with pytest.raises(InvalidOptionError, match=f"^{option} must be"):
        cloud_driver(provider, URL, **{option: value})


@pytest.mark.parametrize("provider", CLOUDS)
def test_good_connection_settings_are_taken(provider: str) -> None:
    driver = cloud_driver(provider, URL, timeout=(2, 30.5), pool_size=4, retry=RetryPolicy(max_attempts=2),
                          verify=False)
    connection = getattr(driver, "connection", None) or driver._conn  # type: ignore[attr-defined]
    assert connection.timeout == (2, 30.5) and connection.retry.max_attempts == 2
