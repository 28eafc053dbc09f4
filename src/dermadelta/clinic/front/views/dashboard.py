"""PLACEHOLDER: being written; replaced in full by its author."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def dashboard(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)

