"""HTTP header fields: a mapping whose keys compare case-insensitively (RFC 9110, section 5.1).

Written here rather than taken from ``requests.structures`` so that importing the core never
imports ``requests`` (about a third of storagekit's import time); only google-auth's token
refresh still needs it.

Usage::

    headers = CaseInsensitiveDict({"Content-Type": "text/plain"})
    headers["content-type"]   # 'text/plain'
    dict(headers)             # {'Content-Type': 'text/plain'}: names keep the case last set
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, TypeVar

_V = TypeVar("_V")


class CaseInsensitiveDict(MutableMapping[str, _V]):
    """A dict of header fields: ``headers["etag"]`` finds ``ETag``; iteration yields names as last set."""

    __slots__ = ("_store",)

    def __init__(self, data: Mapping[str, _V] | Iterable[tuple[str, _V]] | None = None, **kwargs: _V) -> None:
        self._store: dict[str, tuple[str, _V]] = {}
        if data:
            self.update(data)
        if kwargs:
            self.update(kwargs)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, _V]]) -> CaseInsensitiveDict[_V]:
        """The fields of ``pairs`` (a name given twice keeps its last value), built in one step:
        what a response head's parser hands over."""
        fields: CaseInsensitiveDict[_V] = cls.__new__(cls)
        fields._store = {name.lower(): (name, value) for name, value in pairs}
        return fields

    def update(self, data: Any = (), /, **kwargs: _V) -> None:
        """Set each field of ``data`` (a mapping or (name, value) pairs) and of ``kwargs``.

        The same as ``MutableMapping.update``, without a method call per field: every request's
        headers are built from two or three of these.
        """
        store = self._store
        kind = type(data)  # a dict or one of these, mostly: told apart without ABCMeta's isinstance (a Python call)
        if kind is CaseInsensitiveDict or (kind is not dict and isinstance(data, CaseInsensitiveDict)):
            store.update(data._store)
        else:
            for name, value in data.items() if kind is dict or isinstance(data, Mapping) else data:
                store[name.lower()] = (name, value)
        for name, value in kwargs.items():
            store[name.lower()] = (name, value)

    def get(self, key: str, default: Any = None) -> Any:
        entry = self._store.get(key.lower()) if isinstance(key, str) else None
        return default if entry is None else entry[1]

    def items(self) -> Any:
        """(name, value) pairs, names in the case last set (a view of the fields)."""
        return self._store.values()

    def values(self) -> Any:
        """The values, in the fields' order (a list, without a lookup per name)."""
        return [entry[1] for entry in self._store.values()]

    def __setitem__(self, key: str, value: _V) -> None:
        self._store[key.lower()] = (key, value)

    def __getitem__(self, key: str) -> _V:
        return self._store[key.lower()][1]

    def __delitem__(self, key: str) -> None:
        del self._store[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, _ in self._store.values()])  # a list: cheaper than a generator for a few

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._store

    def lower_items(self) -> list[tuple[str, _V]]:
        """(lowercased name, value) pairs, without a lookup per item (what signers need)."""
        return [(lower, entry[1]) for lower, entry in self._store.items()]

    def copy(self) -> CaseInsensitiveDict[_V]:
        return CaseInsensitiveDict(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.lower_items()) == dict(CaseInsensitiveDict(other).lower_items())

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return repr(dict(self._store.values()))

    def __getstate__(self) -> Any:
        return self._store

    def __setstate__(self, state: Any) -> None:
        self._store = state
