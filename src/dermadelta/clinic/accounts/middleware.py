"""Every page in the time zone of the clinic of whoever is signed in."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dermadelta.clinic.accounts.access import actor_of


class ClinicTimeMiddleware:
    """Dates and times on pages as the signed-in person's clinic sees them.

    One server may host clinics in several time zones: a photo taken at 08:30 in
    Sydney is on the 2nd there, and on the 1st in London. A visitor who is not
    signed in (the sign-in page) gets the server's zone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        clinic = actor_of(request.user).clinic
        if clinic is None:
            return self.get_response(request)
        with clinic.local_time():
            return self.get_response(request)
