"""A wrapper that keeps a credential out of every representation: repr, str, f-strings, ``vars()``.

Every object of storagekit that holds a secret (an S3 secret key or session token, an Azure
account key or SAS token, a Google key file's content, a profile's secret settings) holds it
in a :class:`Secret`. Printing, logging or formatting one shows ``***``; code that needs the
value says so with :meth:`Secret.reveal`. It is deliberately not a ``str`` subclass: string
operations (concatenation, ``join``, ``json.dumps``) would otherwise see the plain value.

Usage::

    token = Secret("sv=2020-12-06&sig=abc")
    f"token={token}"        # 'token=***'
    token.reveal()          # 'sv=2020-12-06&sig=abc'
"""

from __future__ import annotations

import hmac
from typing import Any, Generic, TypeVar

AnyStr_ = TypeVar("AnyStr_", str, bytes)

MASK = "***"
"""What a secret looks like wherever it is shown."""


class Secret(Generic[AnyStr_]):
    """A secret string (or bytes) that shows itself as ``***``; :meth:`reveal` gives the value.

    It has ``__slots__`` and no ``__dict__``, so ``vars()`` of it fails and ``vars()`` of its
    holder shows only ``Secret('***')``. It pickles with its value (a pickled driver must be able
    to sign requests again), so a pickle is as sensitive as the credential itself.
    """

    __slots__ = ("_value",)

    def __init__(self, value: AnyStr_) -> None:
        """Wrap ``value``.

        Args:
            value: the secret text (or bytes, for a decoded key).

        Raises:
            TypeError: ``value`` is neither str nor bytes (the message does not show it).
        """
        if not isinstance(value, (str, bytes)):
            raise TypeError(f"a Secret wraps str or bytes, not {type(value).__name__}")
        self._value: AnyStr_ = value

    def reveal(self) -> AnyStr_:
        """The secret itself, for the code that must send or sign with it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret) or type(other._value) is not type(self._value):
            return NotImplemented
        return hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> tuple[Any, ...]:
        return Secret, (self._value,)


def wrap(value: str | Secret[str] | None) -> Secret[str] | None:
    """``value`` as a Secret (already one: as is; None or empty: None)."""
    if isinstance(value, Secret):
        return value if value else None
    return Secret(value) if value else None


def reveal(value: str | Secret[str] | None) -> str | None:
    """The plain text of a value that may or may not be wrapped (None stays None)."""
    return value.reveal() if isinstance(value, Secret) else value


__all__ = ["MASK", "Secret", "reveal", "wrap"]
