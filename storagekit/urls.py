"""Locations as URLs: ``s3://bucket/key``, ``gs://``, ``az://``, ``local://``, ``memory://``, plain paths.

The part after the scheme is always ``<container>/<object name or prefix>``::

    s3://my-bucket/photos/2024/cat.jpg      Amazon S3, or any S3-compatible preset (provider=)
    gs://my-bucket/key   gcs://my-bucket/key Google Cloud Storage
    az://my-container/blob                  Azure Blob Storage (account from the environment)
    obs://my-bucket/key                     Huawei OBS (endpoint: endpoint_url=, obs_endpoint= or
                                            $OBS_ENDPOINT; keys: key=/secret=, obs_access_key_id=/
                                            obs_secret_access_key=, or the AWS credential chain)
    local://backups/photos/                 the local driver, under a root directory
                                            (local_root= or STORAGEKIT_LOCAL_ROOT)
    memory://scratch/key                    the in-memory driver shared by this process
    swift://container/object                OpenStack Swift, or a Swift cloud (provider=Provider.CLOUDFILES)
    ./photos  /srv/data  C:\\data             plain paths are local files, not a store

Usage::

    location = open_url("s3://my-bucket/logs/", endpoint_url="http://127.0.0.1:8333")
    for obj in location.driver.iterate_container_objects(location.container, prefix=location.key):
        ...
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config import load_profile, profiles
from .providers import DRIVERS, get_driver
from .types import ContainerDoesNotExistError, InvalidOptionError, Provider

if TYPE_CHECKING:  # a driver brings them; parsing a URL (the CLI's start) needs neither
    from .base import StorageDriver
    from .models import Container

SCHEMES = {
    "s3": Provider.S3,
    "gs": Provider.GOOGLE_STORAGE,
    "gcs": Provider.GOOGLE_STORAGE,
    "az": Provider.AZURE_BLOBS,
    "azure": Provider.AZURE_BLOBS,
    "local": Provider.LOCAL,
    "memory": Provider.MEMORY,
    "obs": Provider.HUAWEI_OBS,
    "swift": Provider.OPENSTACK_SWIFT,
}
LOCAL_ROOT_ENV = "STORAGEKIT_LOCAL_ROOT"
OBS_ENDPOINT_ENV = "OBS_ENDPOINT"
_OBS_OPTIONS = {"obs_endpoint": "endpoint_url", "obs_access_key_id": "key", "obs_secret_access_key": "secret"}
"""Lightly's names of the OBS settings, and the S3 driver's."""

_URL_LIKE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):(/|$)|^([A-Za-z][A-Za-z0-9+.-]*):(?=[^/\\])")
"""``word:/...`` (two letters or more: ``C:/`` and ``C:\\`` are Windows drives), or ``word:rest``."""

_memory_lock = threading.Lock()
_memory_driver: StorageDriver | None = None


@dataclass(frozen=True)
class Location:
    """A place in a store: its driver, container name, and an object name or prefix (may be "")."""

    driver: StorageDriver
    container_name: str
    key: str
    url: str

    @property
    def container(self) -> Container:
        """The container, without a request (a missing one fails at first use)."""
        return self.driver._as_container(self.container_name)

    def ensure_container(self) -> Container:
        """The container, created first if it does not exist yet.

        Returns:
            The :class:`~storagekit.models.Container`.

        """
        try:
            return self.driver.get_container(self.container_name)
        except ContainerDoesNotExistError:
            return self.driver.create_container(self.container_name)

    @property
    def directory_prefix(self) -> str:
        """The key as a "directory": ``photos`` and ``photos/`` are both ``photos/``; "" stays "".

        Listing, ``rm -r``, ``du``, ``cp -r`` and ``sync`` use this prefix, so ``s3://b/photos``
        never also matches ``photos-2023/``.
        """
        return self.key if self.is_prefix else self.key + "/"

    @property
    def is_prefix(self) -> bool:
        """True when the location names a "directory": no key, or a key ending in "/"."""
        return not self.key or self.key.endswith("/")

    def child(self, name: str) -> Location:
        """The location of ``name`` below this prefix.

        Args:
            name: a name relative to :attr:`directory_prefix`.

        Returns:
            A new Location on the same driver and container.

        """
        return Location(self.driver, self.container_name, self.directory_prefix + name,
                        f"{self.url.rstrip('/')}/{name}")


def is_url(text: str) -> bool:
    """Whether the text is ``scheme://...`` with a scheme storagekit knows; plain paths are not.

    Args:
        text: a command-line location or a URL.

    Returns:
        True for a storage URL.

    """
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def looks_like_url(text: str) -> bool:
    """Whether the text is meant as a URL storagekit does not know: ``s4://b/x``, ``gs:/b``, ``s3:b``.

    A plain path never looks like one, except a relative path whose first component is
    ``word:`` followed by ``/`` (write ``./word:/...`` for such a file). Windows drive letters
    (``C:/data``, ``C:\\data``) are paths.

    Args:
        text: a command-line location.

    Returns:
        True for a mistyped or unknown URL.

    """
    if is_url(text):
        return False
    match = _URL_LIKE.match(text)
    if match is None:
        return False
    if match.group(1):
        return True
    return match.group(3).lower() in SCHEMES


def check_location(text: str) -> str:
    """``text`` unchanged if it is a storage URL or a plain path.

    Args:
        text: a command-line location.

    Returns:
        The same text.

    Raises:
        InvalidOptionError: for text that looks like a URL but is not one (``s4://b/x``,
            ``gs:/bucket``, ``s3:/b``), naming the known schemes, so a typo never becomes a local path.

    """
    if looks_like_url(text):
        raise InvalidOptionError(f"{text!r} is not a storage URL (known schemes: {known_schemes()}; "
                                 "write ./PATH for a local file whose name has a colon)")
    return text


def known_schemes() -> str:
    """The URL schemes storagekit knows, for messages.

    Returns:
        ``"s3://, gs://, ..."``.

    """
    return ", ".join(f"{scheme}://" for scheme in SCHEMES)


def open_url(url: str, *, provider: Provider | str | None = None, local_root: str | None = None,
             profile: str | None = None, container_optional: bool = False, **driver_options: Any) -> Location:
    """Parse a location URL and build its driver.

    Usage::

        location = open_url("s3://my-bucket/photos/", provider=Provider.MINIO,
                            endpoint_url="http://127.0.0.1:9000")
        for obj in location.driver.iterate_container_objects(location.container, prefix=location.key):
            print(obj.name)

    Args:
        url: ``scheme://container/key`` (``s3``, ``gs``/``gcs``, ``az``/``azure``, ``swift``, ``obs``,
            ``local``, ``memory``).
        provider: an S3-compatible preset for ``s3://`` URLs (e.g. ``Provider.MINIO``), a Swift cloud
            for ``swift://`` URLs (e.g. ``Provider.CLOUDFILES``).
        local_root: the root directory for ``local://`` URLs (default: $STORAGEKIT_LOCAL_ROOT).
        profile: a named profile (see :mod:`storagekit.config`); it applies to URLs of its
            provider's kind only, so one profile can serve one end of a cross-provider copy. For
            ``s3://`` URLs, a name that is not a storagekit profile is an AWS profile of the shared
            AWS files (a storagekit profile of that name wins).
        container_optional: accept ``scheme://`` alone (a whole store, as ``ls s3://`` lists
            containers); its location's ``container_name`` is "".
        **driver_options: passed to the driver's constructor (``endpoint_url=``, ``region=``, ...).

    Returns:
        The :class:`Location`: driver, container name, key and the URL itself.

    Raises:
        InvalidOptionError: for an unknown scheme, a URL with no container or with credentials.

    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise InvalidOptionError(f"{url!r} is not a storage URL (known schemes: {known_schemes()})")
    container_name, _, key = rest.partition("/")
    if "@" in container_name or ":" in container_name:
        raise InvalidOptionError(f"{scheme}:// URLs carry no credentials: use a profile or the environment")
    if not container_name and not (container_optional and not key):
        raise InvalidOptionError(f"{url!r} names no container: write {scheme}://<container>/<key>")
    kind = SCHEMES[scheme.lower()]
    if profile and kind is Provider.S3 and profile not in profiles():
        driver_options = {**driver_options, "profile": profile}  # an AWS profile of ~/.aws/config
    elif profile:
        settings = dict(load_profile(profile))
        chosen = settings.pop("provider", kind.value)
        if _family(chosen) == _family(kind):
            provider = provider or (chosen if kind is Provider.S3 else None)
            local_root = local_root or settings.pop("local_root", None)
            driver_options = {**settings, **{k: v for k, v in driver_options.items() if v is not None}}
    return Location(_driver_for(kind, provider, local_root, driver_options), container_name, key, url)


def _family(provider: Provider | str) -> tuple[str, str]:
    """The driver class serving a provider: S3 presets and regions are all one family."""
    return DRIVERS.get(Provider(provider).value if isinstance(provider, Provider) else str(provider).lower(),
                       ("", str(provider)))


def _driver_for(kind: Provider, provider: Provider | str | None, local_root: str | None,
                options: dict[str, Any]) -> StorageDriver:
    if kind is Provider.MEMORY:
        return shared_memory_driver()
    if kind is Provider.LOCAL:
        root = local_root or os.environ.get(LOCAL_ROOT_ENV)
        if not root:
            raise InvalidOptionError(f"local:// URLs need a root directory: pass local_root or set {LOCAL_ROOT_ENV}")
        os.makedirs(root, exist_ok=True)
        return get_driver(Provider.LOCAL)(root)
    if provider is not None and _family(provider) != _family(kind):
        raise InvalidOptionError(f"provider= names a provider of {kind.value}'s family only, not {provider}")
    if kind is Provider.HUAWEI_OBS:
        options = _obs_options(options)
    cls = get_driver(provider or kind)
    return cls(**{k: v for k, v in options.items() if v is not None})


def shared_memory_driver() -> StorageDriver:
    """The one in-memory store behind every ``memory://`` URL of this process.

    Returns:
        The same :class:`~storagekit.drivers.memory.MemoryStorageDriver` on every call.

    """
    global _memory_driver
    with _memory_lock:
        if _memory_driver is None:
            _memory_driver = get_driver(Provider.MEMORY)()
        return _memory_driver


def _obs_options(options: dict[str, Any]) -> dict[str, Any]:
    """The S3 driver's options for an ``obs://`` URL: Lightly's ``obs_*`` names become ``endpoint_url``,
    ``key`` and ``secret`` (an explicit ``endpoint_url`` wins), the endpoint defaults to $OBS_ENDPOINT."""
    translated = {name: value for name, value in options.items() if name not in _OBS_OPTIONS}
    for lightly_name, name in _OBS_OPTIONS.items():
        if translated.get(name) is None and options.get(lightly_name) is not None:
            translated[name] = options[lightly_name]
    if translated.get("endpoint_url") is None and os.environ.get(OBS_ENDPOINT_ENV):
        translated["endpoint_url"] = os.environ[OBS_ENDPOINT_ENV]
    return translated
