"""libcloud's constructor keywords that cannot apply to storagekit: accepted, with a one-time warning.

A libcloud user's call must keep working, so a keyword libcloud documents for its storage
drivers is never refused; where storagekit has no such setting (its own one does the job), the
keyword is dropped and a ``UserWarning`` says so, once per keyword and process. Any other
unknown keyword stays an :class:`~storagekit.types.InvalidOptionError`.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

IGNORED: dict[str, str] = {
    "api_version": "storagekit speaks each service's current API version",
    "backoff": "storagekit's one retry policy decides (pass retry=RetryPolicy(...))",
    "credential_file": "storagekit keeps Google OAuth tokens in memory, refreshed by google-auth",
    "proxy_url": "storagekit takes proxies from HTTPS_PROXY / HTTP_PROXY / NO_PROXY",
    "retry_delay": "storagekit's one retry policy decides (pass retry=RetryPolicy(...))",
    "scopes": "storagekit asks Google for the devstorage scope it needs",
}
"""libcloud keyword -> why storagekit ignores it (and what to use instead)."""

_warned: set[str] = set()
_lock = threading.Lock()


def drop_ignored(options: dict[str, Any]) -> None:
    """Remove libcloud's inapplicable keywords from a constructor's ``options``, warning once about each."""
    for name in sorted(set(options) & set(IGNORED)):
        options.pop(name)
        with _lock:
            first = name not in _warned
            _warned.add(name)
        if first:
            warnings.warn(f"libcloud's {name}= is accepted and ignored: {IGNORED[name]}", UserWarning, stacklevel=4)


__all__ = ["IGNORED", "drop_ignored"]
