"""The patient's own page: their plan, this week, their care, their photos and results. Nobody else's."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from dermadelta.clinic.accounts.access import Actor, patient_required
from dermadelta.clinic.front.views.calendar_feed import feed_created
from dermadelta.clinic.records.access import get_patient, visible
from dermadelta.clinic.records.calendar_feed import create_feed, has_feed, revoke_feed
from dermadelta.clinic.records.choices import JobStatus
from dermadelta.clinic.records.course_progress import course_progress
from dermadelta.clinic.records.models import Comparison, Photo
from dermadelta.clinic.records.portal import this_week
from dermadelta.protocol.calendar import time_zone
from dermadelta.reports.progress_words import DAYS_AXIS


@patient_required
def portal(request: HttpRequest, actor: Actor) -> HttpResponse:
    assert actor.patient is not None  # patient_required lets only patients in
    patient = get_patient(request, actor, actor.patient.pk)
    today = timezone.localdate(timezone=time_zone(patient.clinic.time_zone))
    photos = visible(actor, Photo).filter(patient=patient).select_related("session")
    comparisons = list(
        visible(actor, Comparison)
        .filter(patient=patient)
        .select_related("before__session", "after__session")
        .order_by("-created_at", "-id")
    )
    week = this_week(patient, today)
    has_measured = any(c.status == JobStatus.DONE for c in comparisons)
    course = course_progress(patient) if has_measured else None
    return render(
        request,
        "front/portal/portal.html",
        {
            "patient": patient,
            "week": week,
            "photos": sorted(photos, key=lambda photo: (photo.day, photo.pk)),
            "comparisons": comparisons,
            "has_measured": has_measured,
            # The progress chart's numbers in a table: the chart's text alternative.
            "course": course,
            "chart_numbers": course.numbers("patient") if course else [],
            "days_heading": DAYS_AXIS["patient"],
            "has_feed": has_feed(patient),
        },
    )


# --- the patient's own calendar feed ------------------------------------------------------------------


@patient_required
def portal_calendar_feed(request: HttpRequest, actor: Actor) -> HttpResponse:
    """POST: a new address for the patient's own calendar feed (an earlier one stops working)."""
    assert actor.patient is not None
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    secret = create_feed(actor.patient, by=request.user, request=request)
    return feed_created(request, actor.patient, secret, back=f"{reverse('portal')}#calendar-feed", own=True)


@patient_required
def portal_calendar_feed_revoke(request: HttpRequest, actor: Actor) -> HttpResponse:
    assert actor.patient is not None
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if revoke_feed(actor.patient, by=request.user, request=request):
        messages.success(request, "Your calendar feed is turned off: its address no longer works.")
    return redirect(f"{reverse('portal')}#calendar-feed")
