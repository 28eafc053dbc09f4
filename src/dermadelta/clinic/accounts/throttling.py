"""Repeated failed sign-ins hold back the account and the address for a while (django-axes).

Axes counts failures in the database, so every web process sees the same counts.
A sign-in is held back after ``AXES_FAILURE_LIMIT`` failures for the account, or
from the address, within the cool-off time, even with the right password; it
opens again once the cool-off has passed since the failure that reached the limit.
API tokens count against the address only: a token's prefix is no secret, so
counting per token would let anyone who knows it shut an integration out.

Every attempt, failed or held back, is in the audit log with the account and
its clinic (:mod:`dermadelta.clinic.audit.signals`).
"""

from __future__ import annotations

import re
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

#: Marks the credentials of an API token attempt (their "username" is the token's prefix, for the log).
API_TOKEN = "api_token"
#: A token's public part, as :mod:`dermadelta.clinic.api.tokens` issues it; anything else is not echoed.
TOKEN_PREFIX = re.compile(r"dd_[0-9a-f]{8}")


def lockout_parameters(request_or_attempt: Any, credentials: dict[str, Any] | None = None) -> list[str]:
    """Sign-ins count per account and per address; API tokens per address only."""
    if credentials and credentials.get(API_TOKEN):
        return ["ip_address"]
    return ["username", "ip_address"]


def cool_off_minutes() -> int:
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def held_back_message() -> str:
    minutes = cool_off_minutes()
    return (
        f"Signing in is paused for {minutes} minutes: there were too many failed attempts for this account "
        f"or from this network. Please wait {minutes} minutes and try again, or ask your clinic admin for help."
    )


def api_held_back_message() -> str:
    return f"Too many refused API tokens from this address: wait {cool_off_minutes()} minutes before trying again."


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """What a held-back attempt gets: the API's JSON error, or the sign-in page saying so in plain words."""
    retry_after = str(cool_off_minutes() * 60)
    if request.path.startswith("/api/"):
        from dermadelta.clinic.api.errors import error_response

        response = error_response("too_many_requests", api_held_back_message())
    else:
        messages.error(request, held_back_message())
        response = render(
            request, "front/login.html", {"form": AuthenticationForm(request), "held_back": True}, status=429
        )
    response["Retry-After"] = retry_after
    return response


def token_credentials(secret: str) -> dict[str, Any]:
    """What the log and the counts know of a token attempt: its prefix when it has one, never the secret."""
    prefix = TOKEN_PREFIX.match(secret)
    return {"username": f"API token {prefix.group(0) if prefix else '(unrecognised)'}", API_TOKEN: True}


def token_allowed(request: HttpRequest, secret: str) -> bool:
    """False while the address is held back; the attempt is then logged as held back."""
    credentials = token_credentials(secret)
    if AxesProxyHandler.is_allowed(request, credentials):
        return True
    request.axes_locked_out = True  # type: ignore[attr-defined]  # axes: refused, not a new failure to count
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return False


def token_refused(request: HttpRequest, secret: str, reason: str) -> None:
    """Count a bad token against the address (and audit it), as a failed sign-in is."""
    credentials = {**token_credentials(secret), "reason": reason}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)


def username_of(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The name an attempt is counted under, storable on every database (no NUL, at most 255 characters)."""
    name = (credentials or {}).get("username")
    if name is None and request is not None:
        name = request.POST.get("username")
    return None if name is None else str(name).replace("\x00", "\N{REPLACEMENT CHARACTER}")[:255]
