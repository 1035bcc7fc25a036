"""Temporary credentials that reload themselves before they expire, one reload at a time.

Two windows before the expiry decide what a caller of :meth:`RefreshingCredentials.get` does:

* **advisory** (15 minutes before, as botocore): the first caller to notice reloads while
  every other thread goes on with the current credentials; a failed reload is logged and tried
  again by the next caller, since the current credentials still work;
* **mandatory** (10 minutes before): callers wait for the one reload in flight; if it fails and
  the current credentials have not yet expired they are still used (and the failure logged),
  otherwise the failure is raised.

Credentials that live less than half an hour (test servers, short role sessions) would be in
those windows from the start, so each window is also at most a fraction of the lifetime the
credentials had when they were loaded (a half and a quarter).
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable
from typing import Any

from ..types import InvalidCredsError, StorageKitError

log = logging.getLogger("storagekit.credentials")

ADVISORY_SECONDS = 15 * 60
MANDATORY_SECONDS = 10 * 60



def utcnow() -> datetime.datetime:
    """The refresh clock."""
    return datetime.datetime.now(datetime.timezone.utc)


class RefreshingCredentials:
    """Loads credentials on first use and reloads them before they expire; thread-safe.

    Usage::

        credentials = RefreshingCredentials(provider)   # provider.load() -> credentials
        signer_credentials = credentials.get()           # cheap while they are fresh

    It pickles to its provider alone: the copy loads its own credentials on first use.
    """

    def __init__(
        self, provider: Any, *, advisory_seconds: float = ADVISORY_SECONDS,
        mandatory_seconds: float = MANDATORY_SECONDS, clock: Callable[[], datetime.datetime] = utcnow,
    ) -> None:
        """Wrap ``provider``, whose ``load()`` returns credentials with an ``expiration``.

        Args:
            provider: the source; its ``load()`` must return credentials (not None).
            advisory_seconds: the advisory window before the expiry (see the module).
            mandatory_seconds: the mandatory window before the expiry.
            clock: the current UTC time (tests pass their own).
        """
        self.provider = provider
        self.advisory_seconds = advisory_seconds
        self.mandatory_seconds = mandatory_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._current: Any = None
        self._advisory_at: datetime.datetime | None = None
        self._mandatory_at: datetime.datetime | None = None
        self.refreshes = 0
        """How many times the credentials were loaded (the first load included)."""

    def __repr__(self) -> str:
        return f"<RefreshingCredentials provider={getattr(self.provider, 'name', type(self.provider).__name__)}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.provider, self.advisory_seconds, self.mandatory_seconds, self.clock)

    def get(self) -> Any:
        """The current credentials, reloaded first if they are (about to be) stale.

        Raises:
            InvalidCredsError: nothing could be loaded (first use), or the reload failed after
                the credentials expired.
        """
        current = self._current
        if current is None:
            with self._lock:
                if self._current is None:
                    self._load()
                return self._current
        if self._advisory_at is None:
            return current
        now = self.clock()
        if now < self._advisory_at:
            return current
        if now < self._mandatory_at:  # type: ignore[operator]
            if self._lock.acquire(blocking=False):  # one thread reloads, the others go on
                try:
                    if self._current is current:
                        self._try_reload(current)
                finally:
                    self._lock.release()
            return self._current
        with self._lock:  # mandatory: wait for the reload
            if self._current is current:
                self._try_reload(current)
            return self._current

    def _try_reload(self, current: Any) -> None:
        """Reload; while ``current`` is still valid, a failure is logged and left for the next caller."""
        try:
            self._load()
        except StorageKitError as error:
            if current.expiration is not None and self.clock() >= current.expiration:
                raise
            log.warning("refreshing AWS credentials from %s failed (the current ones are still valid, "
                        "retrying on next use): %s", getattr(self.provider, "name", "?"), error)

    def _load(self) -> None:
        """Load new credentials and place the two windows before their expiry (under the lock)."""
        loaded_at = self.clock()
        credentials = self.provider.load()
        if credentials is None:
            raise InvalidCredsError(f"{getattr(self.provider, 'name', 'the credential source')} gave no credentials")
        self.refreshes += 1
        expiration = credentials.expiration
        if expiration is None:
            self._advisory_at = self._mandatory_at = None
        else:
            lifetime = max((expiration - loaded_at).total_seconds(), 0.0)
            advisory = min(self.advisory_seconds, lifetime / 2)
            mandatory = min(self.mandatory_seconds, lifetime / 4)
            self._advisory_at = expiration - datetime.timedelta(seconds=advisory)
            self._mandatory_at = expiration - datetime.timedelta(seconds=mandatory)
            log.debug("loaded AWS credentials from %s, expiring %s", getattr(self.provider, "name", "?"),
                      expiration.isoformat())
        self._current = credentials


def _rebuild(
    cls: type[RefreshingCredentials], provider: Any, advisory: float, mandatory: float,
    clock: Callable[[], datetime.datetime],
) -> RefreshingCredentials:
    return cls(provider, advisory_seconds=advisory, mandatory_seconds=mandatory, clock=clock)


__all__ = ["ADVISORY_SECONDS", "MANDATORY_SECONDS", "RefreshingCredentials"]
