"""The API object: ``/api/v1/`` with its routers, token authentication and one error shape.

Every operation requires a staff token (:class:`StaffToken`); the OpenAPI
document (``openapi.json``) and its browsable docs (``docs``) are open, since
they describe the API and hold no records. CSRF protection is not needed: the
API reads no session cookie, only the ``Authorization`` header, which a browser
never sends by itself to another site's request (ninja marks its views
csrf-exempt and checks CSRF only for cookie-based authentication, which is not used).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils import timezone
from ninja import NinjaAPI
from ninja.operation import Operation

from dermadelta.clinic.api import errors
from dermadelta.clinic.api.auth import StaffToken
from dermadelta.clinic.api.routers import comparisons, consents, patients, photos, plans, screening, sessions


class ClinicApi(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__  # short and stable: list_patients, get_photo...

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        """Ninja's addresses, answering 404 and 405 in the error shape, then 404 in that shape for any other address."""
        patterns = [_json_errors(p) if isinstance(p, URLPattern) else p for p in super()._get_urls()]
        return [*patterns, re_path(r"^.*$", _unknown_address)]


def _json_errors(pattern: URLPattern) -> URLPattern:
    """The pattern's view, with ninja's plain 405 (a wrong method) and Django's HTML 404 in the error shape.

    Also the one place where the time zone :class:`StaffToken` activates is undone after the request.
    """
    view: Callable[..., HttpResponse] = pattern.callback

    @wraps(view)  # keeps ninja's csrf_exempt flag
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            with timezone.override(None):  # the token's clinic time zone is set for this request only
                response = view(request, *args, **kwargs)
        except Http404:  # ninja's own root address
            return _unknown_address(request)
        if response.status_code != 405 or response.get("Content-Type", "").startswith("application/json"):
            return response
        answer = errors.error_response("method_not_allowed", f"{request.method} is not allowed here.")
        answer["Allow"] = response.get("Allow", "")
        return answer

    return URLPattern(pattern.pattern, wrapped, pattern.default_args, pattern.name)


def _unknown_address(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return errors.error_response("not_found", "No such address in the API.")


_unknown_address.csrf_exempt = True  # type: ignore[attr-defined]

api = ClinicApi(
    title="dermadelta clinic API",
    version="1",
    description="Patients, consents, screening, plans, sessions, photos and before/after comparisons of one clinic.",
    urls_namespace="api-v1",
    auth=StaffToken(),
)
errors.install(api)
for module in (patients, consents, screening, plans, sessions, photos, comparisons):
    api.add_router("", module.router)
