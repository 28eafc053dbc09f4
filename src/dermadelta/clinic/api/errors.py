"""One error shape for every answer that is not a success: ``{"error": {"code", "message", "details"}}``.

The handlers map what the actions raise the way the web views do: a refused
change (``ActionError``, a model's ``ValidationError``) is 400 with its
messages, a record the caller may not see is 404 (``Http404`` from the access
helpers), and anything unexpected is 500 with no trace, path or value in the
body (it is logged on the server).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from dermadelta.clinic.unreadable import reason as unreadable_reason

logger = logging.getLogger(__name__)

#: HTTP status of each error code (the code is the stable part clients switch on).
STATUS = {
    "validation": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "too_large": 413,
    "too_many_requests": 429,
    "server_error": 500,
}


class ErrorDetail(Schema):
    field: str | None = None
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorOut(Schema):
    error: ErrorBody


class ApiError(Exception):
    """An answer in the error shape, raised from anywhere in the API."""

    def __init__(
        self, code: str, message: str, *, details: list[dict[str, Any]] | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or []
        self.status = status or STATUS[code]


def error_response(
    code: str, message: str, *, details: list[dict[str, Any]] | None = None, status: int | None = None
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    response = JsonResponse(body, status=status or STATUS[code])
    if code == "unauthorized":
        response["WWW-Authenticate"] = 'Bearer realm="dermadelta"'
    return response


def _field(location: Any) -> str:
    parts = [str(part) for part in location]
    if parts[:1] == ["body"] and len(parts) >= 2:
        del parts[1]  # the handler's argument name, not part of the JSON the caller sent
    return ".".join(parts)


def _schema_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Only where and what: pydantic's "input" and "ctx" would echo the caller's (possibly huge) values.
    return [{"field": _field(e.get("loc", ())), "message": str(e.get("msg", "invalid"))} for e in errors]


def _django_details(error: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(error, "error_dict"):
        return [
            {"field": None if name == "__all__" else name, "message": message}
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [{"field": None, "message": message} for message in error.messages]


def install(api: NinjaAPI) -> None:
    """Replace ninja's default handlers (``{"detail": ...}``, HTML or a re-raise) with the error shape."""

    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(exc.code, exc.message, details=exc.details, status=exc.status)

    def schema_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
        details = _schema_details(exc.errors)
        return error_response("validation", "The request does not match the API's schema.", details=details, status=422)

    def refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        # As the web views show an ActionError or a model's ValidationError on the form: every message.
        details = _django_details(exc)
        return error_response("validation", " ".join(d["message"] for d in details), details=details)

    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        # The same words for a missing record and another clinic's: nothing about it leaks.
        return error_response("not_found", "No such record.")

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, AuthenticationError):
            return error_response("unauthorized", "Send a valid API token: Authorization: Bearer <token>.")
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict"}.get(exc.status_code)
        if code is None:
            code = "validation" if exc.status_code < 500 else "server_error"
        return error_response(code, str(exc), status=exc.status_code)

    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error_response("too_large", unreadable_reason(exc))

    def unreadable(request: HttpRequest, exc: SuspiciousOperation | MultiPartParserError) -> HttpResponse:
        return error_response("validation", unreadable_reason(exc))

    def conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # A concurrent change won the race (e.g. the same consent recorded twice at once).
        logger.warning("API conflict on %s: %s", request.path, exc)
        return error_response("conflict", "The change conflicts with another one made at the same time; try again.")

    def unstorable(request: HttpRequest, exc: DataError) -> HttpResponse:
        # A value the schema let through but the database refuses; nothing was stored.
        logger.warning("API value refused by the database on %s: %s", request.path, exc)
        return error_response(
            "validation", "A value cannot be stored (too long, out of range, or holding a NUL character)."
        )

    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response("server_error", "Something went wrong on the server. It has been logged.")

    handlers: dict[type[Exception], Callable[[HttpRequest, Any], HttpResponse]] = {
        ApiError: api_error,
        SchemaValidationError: schema_error,
        DjangoValidationError: refused,
        Http404: not_found,
        HttpError: http_error,
        RequestDataTooBig: too_large,
        SuspiciousOperation: unreadable,
        MultiPartParserError: unreadable,  # e.g. multipart/form-data without its boundary
        IntegrityError: conflict,
        DataError: unstorable,
        Exception: unexpected,
    }
    for exception, handler in handlers.items():
        api.add_exception_handler(exception, handler)


#: The error answers every operation documents, merged into its ``response=`` declaration.
COMMON_ERRORS: dict[int, type[ErrorOut]] = {code: ErrorOut for code in (400, 401, 403, 404, 422, 500)}


def responses(ok: dict[int, Any]) -> dict[int, Any]:
    return {**COMMON_ERRORS, **ok}
