"""A patient's calendar feed: staff create, renew and revoke it; calendar apps read it by its secret address.

The feed itself (``/calendar/<secret>.ics``) needs no sign-in. An unknown,
revoked or malformed secret gets the same 404 as any missing page: no hint
that a feed exists or once existed.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from dermadelta.clinic.accounts.access import Actor, staff_required
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.access import reachable
from dermadelta.clinic.records.calendar_feed import (
    create_feed,
    feed_calendar,
    patient_for_secret,
    record_read,
    revoke_feed,
)
from dermadelta.clinic.records.models import Patient

PRIVATE = "private, no-store"


def feed_created(request: HttpRequest, patient: Patient, secret: str, *, back: str, own: bool = False) -> HttpResponse:
    """The one page that shows the new address; it is not kept anywhere, so it is never shown again."""
    address = request.build_absolute_uri(reverse("calendar_feed", args=[secret]))
    webcal = "webcal://" + address.split("://", 1)[1]
    response = render(
        request,
        "front/calendar_feed/created.html",
        {"patient": patient, "address": address, "webcal": webcal, "back": back, "own": own},
    )
    response["Cache-Control"] = PRIVATE  # the address must not stay in a cache or the history's copy
    return response


def _staff_patient(request: HttpRequest, actor: Actor, pk: int) -> Patient:
    # The actions audit the change; a stranger gets 404 before anything is read or written.
    return reachable(request, actor, Patient, pk)


@staff_required
def patient_calendar_feed(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """POST: create the patient's feed, or replace it (the old address stops working)."""
    patient = _staff_patient(request, actor, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    secret = create_feed(patient, by=request.user, request=request)
    return feed_created(request, patient, secret, back=f"{reverse('patient', args=[patient.pk])}#calendar-feed")


@staff_required
def patient_calendar_feed_revoke(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    patient = _staff_patient(request, actor, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if revoke_feed(patient, by=request.user, request=request):
        messages.success(request, "The calendar feed is revoked: its address no longer works.")
    else:
        messages.info(request, "There was no calendar feed to revoke.")
    return redirect(f"{reverse('patient', args=[patient.pk])}#calendar-feed")


@require_safe
def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """The feed for a calendar app: no sign-in, the secret is the key."""
    patient = patient_for_secret(secret)
    if patient is None:
        raise Http404("No such page.")
    record_read(request, patient)
    try:
        data = feed_calendar(patient)
    except actions.ActionError:
        # The plan can no longer be rebuilt (the plan page says why): a calendar app
        # keeps its last good copy on an error, which is better than an emptied plan.
        response = HttpResponse("The calendar cannot be built just now.", status=409, content_type="text/plain")
    else:
        response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = PRIVATE
    return response
