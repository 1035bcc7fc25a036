"""The types of the connection settings every HTTP driver's constructor takes, checked once.

``timeout`` (seconds, or a (connect, read) pair), ``pool_size`` (a positive integer),
``retry`` (a :class:`~storagekit.http.RetryPolicy`) and ``verify`` (TLS: a bool or a CA
bundle path). A wrong type is an InvalidOptionError naming the setting, raised by the
constructor, not a ``TypeError`` from deep inside the first request.
"""

from __future__ import annotations

import math
from typing import Any

from .http import RetryPolicy
from .types import InvalidOptionError


def check(options: dict[str, Any], driver: Any = None) -> None:
    """Check the connection settings present in a constructor's keyword ``options`` (left in place).

    Raises:
        InvalidOptionError: a setting has the wrong type or is out of range.
    """
    if "timeout" in options:
        _check_timeout(options["timeout"], driver)
    pool_size = options.get("pool_size", 1)
    if not _is_int(pool_size) or pool_size < 1:
        raise InvalidOptionError(f"pool_size must be a positive integer, not {pool_size!r}", driver)
    retry = options.get("retry")
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise InvalidOptionError(f"retry must be a storagekit.http.RetryPolicy, not {retry!r}", driver)
    verify = options.get("verify")
    if "verify" in options and not isinstance(verify, (bool, str)):
        raise InvalidOptionError(f"verify must be True, False or a CA bundle path, not {verify!r}", driver)


def _check_timeout(timeout: Any, driver: Any) -> None:
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    if (
        len(values) not in (1, 2)
        or not all(_is_number(value) and math.isfinite(value) and value > 0 for value in values)
    ):
        raise InvalidOptionError(
            f"timeout must be a positive number of seconds or a (connect, read) pair of them, not {timeout!r}",
            driver,
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
