"""No copy of an answer stays in a browser's or a proxy's cache: every page and API answer may carry patient data.

The app's own CSS and JavaScript are served before this (WhiteNoise) and stay cacheable.
The other security headers come from Django's ``SecurityMiddleware`` (nosniff, referrer
policy, HSTS over HTTPS) and django-csp (the Content-Security-Policy), set in the settings.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        return response
