"""The answer to a request Django could not read (its 400 handler): the reason in plain words, in the asker's format."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.views import defaults

from dermadelta.clinic.unreadable import reason

#: Errors in reading a request's body, which a person caused and can put right.
_BODY_ERRORS = (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent, RequestDataTooBig)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A page for people, the API's error shape under ``/api/``, the upload's JSON for fetch uploads.

    Any other refusal (a host name not served here...) gets Django's own handler, which
    renders the same page without reading the request.
    """
    if not isinstance(exception, _BODY_ERRORS):
        return defaults.bad_request(request, exception)
    message = reason(exception)
    too_large = isinstance(exception, RequestDataTooBig)
    status = 413 if too_large else 400
    if request.path.startswith("/api/"):
        from dermadelta.clinic.api.errors import error_response

        return error_response("too_large" if too_large else "validation", message)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"saved": [], "refused": [], "errors": [message]}, status=status)
    return render(request, "400.html", {"reason": message}, status=status)
