"""TLS settings: one verified context per transport, and what a certificate failure means.

Contexts come from ``ssl.create_default_context()`` (hostname checking on, modern protocol
versions); only ``verify=False`` turns checking off. A certificate that does not verify is
a :class:`~storagekit.types.TLSError`: retrying cannot fix it, and it may be an attack.
"""

from __future__ import annotations

import os
import ssl

from ..types import InvalidOptionError, TLSError


def make_context(verify: bool | str) -> ssl.SSLContext:
    """A client context: True (the default CA bundle), False (no checks) or a CA file or directory.

    Raises:
        InvalidOptionError: ``verify`` is neither a bool nor a path, or its CA bundle cannot be loaded.
    """
    if not isinstance(verify, (bool, str)):
        raise InvalidOptionError(f"verify must be True, False or a CA bundle path, not {type(verify).__name__}")
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    bundle = verify if isinstance(verify, str) else default_ca_bundle()
    try:
        if bundle and os.path.isdir(bundle):
            return ssl.create_default_context(capath=bundle)
        return ssl.create_default_context(cafile=bundle)
    except (OSError, ssl.SSLError) as error:  # a missing file, or no certificate in it
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise InvalidOptionError(f"the CA bundle {bundle} cannot be loaded: {reason}") from None


def default_ca_bundle() -> str | None:
    """``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` if set, else certifi's bundle, else the system's."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        return bundle
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with requests
        return None
    return str(certifi.where())


_TRANSIENT = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError, ssl.SSLWantReadError)
"""TLS errors that are a connection breaking, not a handshake refused: retryable."""


def handshake_error(error: ssl.SSLError, host: str) -> TLSError | None:
    """The TLSError a failed handshake with ``host`` means, or None for a connection that broke."""
    if isinstance(error, ssl.SSLCertVerificationError):
        reason = error.verify_message or error.reason or str(error)
        return TLSError(f"the TLS certificate of {host} was refused: {reason}")
    if isinstance(error, _TRANSIENT):
        return None
    return TLSError(f"the TLS handshake with {host} failed: {error.reason or error}")
