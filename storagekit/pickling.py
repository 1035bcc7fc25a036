"""How a driver crosses a process boundary: it pickles to its constructor options, nothing more.

A driver holds locks, keep-alive pools bound to the process that opened them, auth callables
and, for the S3 presets, a class made at run time; none of that should (or can) be pickled.
So :class:`~storagekit.base.StorageDriver` records the arguments it was constructed with, and
unpickling calls the constructor again with them: the copy resolves its credentials the same
way and opens its own connections on first use. Attributes changed after construction are not
carried. A pickled driver holds its credentials in clear (it must sign again): treat the pickle
as the secret it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class ConstructorOptions:
    """The positional and keyword arguments a driver was built with; shown as nothing.

    ``__slots__`` keeps the values out of ``vars()`` and the repr never shows them, so a
    driver's ``vars()`` reveals no secret given to its constructor.
    """

    __slots__ = ("args", "kwargs")

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return "<constructor options>"


def rebuild_driver(factory: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Unpickle a driver: call its class (or the factory that finds its class) with its options."""
    return factory(*args, **kwargs)


__all__ = ["ConstructorOptions", "rebuild_driver"]
