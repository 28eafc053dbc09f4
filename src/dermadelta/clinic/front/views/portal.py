"""The patient's own page: their plan, this week, their care, their photos and results. Nobody else's."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dermadelta.clinic.accounts.access import Actor, patient_required
from dermadelta.clinic.records.access import get_patient, visible
from dermadelta.clinic.records.choices import JobStatus
from dermadelta.clinic.records.models import Comparison, Photo
from dermadelta.clinic.records.portal import this_week
from dermadelta.protocol.calendar import time_zone


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
    return render(
        request,
        "front/portal/portal.html",
        {
            "patient": patient,
            "week": week,
            "photos": sorted(photos, key=lambda photo: (photo.day, photo.pk)),
            "comparisons": comparisons,
            "has_measured": any(c.status == JobStatus.DONE for c in comparisons),
        },
    )
