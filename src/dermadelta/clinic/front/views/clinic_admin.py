"""PLACEHOLDER: being written; replaced in full by its author."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def audit_log(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def marketing_export(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def marketing_zip(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)

