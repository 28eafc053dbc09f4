"""PLACEHOLDER: being written; replaced in full by its author."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def photo_upload(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def photo_capture(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def photo_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def photo_status(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def photo_image(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def photo_retry(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)

