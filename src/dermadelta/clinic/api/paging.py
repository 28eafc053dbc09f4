"""Limit/offset pages: ``{count, items}``, the count over all pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Schema

from dermadelta.clinic.api.schemas import Paging


def page(rows: QuerySet[Any], paging: Paging, schema: type[Schema] | None = None) -> dict[str, Any]:
    """One page of ``rows``; with ``schema``, the items are converted now (e.g. inside the clinic's time zone)."""
    items: list[Any] = list(rows[paging.offset : paging.offset + paging.limit])
    if schema is not None:
        items = [schema.model_validate(item) for item in items]
    return {"count": rows.count(), "items": items}
