"""Limit/offset pages: ``{count, items}``, the count over all pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dermadelta.clinic.api.schemas import Paging


def page(rows: QuerySet[Any], paging: Paging) -> dict[str, Any]:
    return {"count": rows.count(), "items": list(rows[paging.offset : paging.offset + paging.limit])}
