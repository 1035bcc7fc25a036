"""Driver classes that serve several providers from rows of data: S3-compatible services, Swift clouds.

A family's driver keeps its providers' differences in a preset table (endpoint templates,
default regions, identity endpoints...). ``get_driver(Provider.WASABI)`` then returns a
subclass of the S3 driver carrying only Wasabi's preset, made once per (driver, provider) and
reused, so ``type(driver).provider`` and ``.preset`` say what it is. Such a class is made at run
time, so pickle cannot find it by name: a driver of it pickles through its base's
``for_provider`` instead.

Usage (in a driver module)::

    class S3StorageDriver(PresetDriver, StorageDriver):
        provider = Provider.S3
        presets = PRESETS
        family = "an S3-compatible"
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .types import InvalidOptionError, Provider

if TYPE_CHECKING:
    from .base import StorageDriver

DriverT = TypeVar("DriverT", bound="PresetDriver")

_made: dict[tuple[type, Provider], type] = {}
_lock = threading.Lock()


class PresetDriver:
    """Mixin of a driver class whose providers differ only by a row of ``presets``."""

    provider: ClassVar[Provider | str]
    presets: ClassVar[Mapping[Provider, Any]]
    """The family's preset table: provider -> its row (a dataclass with ``title`` and ``website``)."""
    family: ClassVar[str]
    """How an error names the family: "an S3-compatible", "a Swift"."""

    @classmethod
    def for_provider(cls: type[DriverT], provider: Provider | str) -> type[DriverT]:
        """The driver class for one provider of the family: this class for its own provider, else a
        subclass carrying only that provider's preset (made once).

        Raises:
            InvalidOptionError: the provider is not one of this family's.
        """
        provider = Provider(provider)
        if provider is cls.provider:
            return cls
        with _lock:
            made = _made.get((cls, provider))
            if made is None:
                try:
                    preset = cls.presets[provider]
                except KeyError:
                    raise InvalidOptionError(f"{provider.value} is not {cls.family} provider") from None
                attributes = {"provider": provider, "preset": preset, "name": preset.title,
                              "website": preset.website, "__module__": cls.__module__,
                              "__doc__": f"{preset.title} through the {cls.__name__}."}
                made = _made[(cls, provider)] = type(f"{cls.__name__}[{provider.value}]", (cls,), attributes)
        return made

    @classmethod
    def _pickle_factory(cls) -> Callable[..., StorageDriver]:
        """What rebuilds a pickled driver of this class: the class itself when pickle can find it by
        name, else its base's ``for_provider`` (a preset class made at run time)."""
        found: object = sys.modules.get(cls.__module__)
        for part in cls.__qualname__.split("."):
            found = getattr(found, part, None)
        if found is cls:
            return cls  # type: ignore[return-value]
        return partial(_rebuild, cls.__bases__[0], Provider(cls.provider))


def _rebuild(base: type[PresetDriver], provider: Provider, *args: Any, **kwargs: Any) -> StorageDriver:
    """A preset's driver rebuilt from a pickle: ``base.for_provider(provider)(*args, **kwargs)``."""
    driver: StorageDriver = base.for_provider(provider)(*args, **kwargs)  # type: ignore[assignment]
    return driver
