"""libcloud's inapplicable constructor keywords: accepted with one warning each; unknown ones still refused."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from storagekit import libcloud_options
from storagekit.providers import get_driver
from storagekit.types import InvalidOptionError, Provider


def test_each_is_dropped_with_one_warning_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(libcloud_options, "_warned", set())
    with pytest.warns(UserWarning, match="retry_delay= is accepted and ignored"):
        get_driver(Provider.LOCAL)(str(tmp_path), retry_delay=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        get_driver(Provider.MEMORY)(retry_delay=3)  # the second time says nothing


def test_an_unknown_keyword_is_still_an_invalid_option(tmp_path: Path) -> None:
    with pytest.raises(InvalidOptionError, match="retry_dely"):
        get_driver(Provider.LOCAL)(str(tmp_path), retry_dely=3)
