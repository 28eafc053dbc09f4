"""Bearer tokens for clinic staff: ``Authorization: Bearer <token>`` resolves to an :class:`Actor`.

The token's user becomes ``request.user`` for the call, so the access helpers
and actions audit the right person, exactly as for a signed-in web user. A
session cookie is ignored here: the API authenticates by token only, which is
also why it needs no CSRF protection (a browser never adds the token on its own).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from dermadelta.clinic.accounts import throttling
from dermadelta.clinic.accounts.access import Actor, actor_of
from dermadelta.clinic.api import tokens
from dermadelta.clinic.api.errors import ApiError
from dermadelta.errors import InputError
from dermadelta.protocol.calendar import time_zone

ASK_FOR_TOKEN = "Send a valid API token: Authorization: Bearer <token>."


class StaffToken(HttpBearer):
    """Only active clinic staff (admins and practitioners) get through; patients and other accounts get 403."""

    def __call__(self, request: HttpRequest) -> Actor:
        header = request.headers.get(self.header, "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != self.openapi_scheme or not secret.strip():
            raise ApiError("unauthorized", ASK_FOR_TOKEN)
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Actor:
        # Bad tokens count against the caller's address as failed sign-ins do; a held-back address gets 429.
        if not throttling.token_allowed(request, token):
            raise ApiError("too_many_requests", throttling.api_held_back_message())
        found = tokens.find(token)
        if found is None:
            throttling.token_refused(request, token, "unknown token")
            raise ApiError("unauthorized", ASK_FOR_TOKEN)
        if found.revoked_at is not None:
            throttling.token_refused(request, token, "revoked token")
            raise ApiError("unauthorized", "This API token was revoked.")
        if not found.user.is_active:
            raise ApiError("unauthorized", "The account this API token belongs to is deactivated.")
        actor = actor_of(found.user)
        if not actor.is_staff_member:
            raise ApiError("forbidden", "The API is open to clinic staff (admins and practitioners) only.")
        tokens.note_use(found)
        request.user = found.user
        _use_clinic_time(actor)
        return actor


def _use_clinic_time(caller: Actor) -> None:
    """Dates as the caller's clinic sees them (a photo's day, days between photos), as on the clinic's pages.

    Staff see only their own clinic's patients, so this is the patients' clinic too.
    ``ClinicApi`` restores the previous time zone after the request.
    """
    try:
        timezone.activate(time_zone(caller.clinic.time_zone if caller.clinic else ""))
    except InputError:
        pass  # an unreadable clinic setting: the server's time zone, as the pages do


def actor(request: HttpRequest) -> Actor:
    """The caller, as :class:`StaffToken` resolved it."""
    caller = getattr(request, "auth", None)
    assert isinstance(caller, Actor), "the operation has no token authentication"
    return caller
