"""Memory driver specifics: its constructor takes the transfer settings and nothing else."""

from __future__ import annotations

import pytest

from storagekit.providers import get_driver
from storagekit.types import InvalidOptionError, Provider


def test_unknown_constructor_options_are_refused() -> None:
    with pytest.raises(InvalidOptionError, match="fsynk"):
        get_driver(Provider.MEMORY)(fsynk=False)


def test_transfer_settings_are_taken() -> None:
    driver = get_driver(Provider.MEMORY)(part_size=1024 * 1024, max_concurrency=2)
    assert (driver.transfer_config.part_size, driver.transfer_config.max_concurrency) == (1024 * 1024, 2)
    with pytest.raises(InvalidOptionError, match="max_concurrency"):
        get_driver(Provider.MEMORY)(max_concurrency=0)
