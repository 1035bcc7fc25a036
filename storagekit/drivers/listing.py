"""Listing helpers for drivers that list by themselves instead of asking a server."""

from __future__ import annotations

from collections.abc import Iterable

from ..models import Object, ObjectPage


def page_of(objects: Iterable[Object], prefix: str, delimiter: str | None, next_token: str | None = None) -> ObjectPage:
    """Group name-ordered objects under ``prefix`` into objects and common prefixes, as S3 does."""
    page = ObjectPage(next_token=next_token)
    for obj in objects:
        rest = obj.name[len(prefix):]
        cut = rest.find(delimiter) if delimiter else -1
        if cut < 0:
            page.objects.append(obj)
            continue
        common = prefix + rest[: cut + len(delimiter or "")]
        if not page.prefixes or page.prefixes[-1] != common:
            page.prefixes.append(common)
    return page
