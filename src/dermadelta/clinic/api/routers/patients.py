"""Patients of the caller's clinic: the list (search, created after), a new patient, one patient."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from dermadelta.clinic.api.auth import actor
from dermadelta.clinic.api.errors import responses
from dermadelta.clinic.api.paging import page
from dermadelta.clinic.api.routers import RecordId
from dermadelta.clinic.api.schemas import Page, Paging, PatientFilters, PatientIn, PatientOut
from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.access import get_patient, visible
from dermadelta.clinic.records.models import Patient
from dermadelta.protocol.calendar import time_zone

router = Router(tags=["patients"])

#: As on the web's patient list: at most this many words of a search count.
MAX_SEARCH_WORDS = 5


@router.get("/patients", response=responses({200: Page[PatientOut]}))
def list_patients(request: HttpRequest, paging: Query[Paging], filters: Query[PatientFilters]) -> Any:
    """The clinic's patients by name; ``q`` matches words of the first or last name."""
    caller = actor(request)
    assert caller.clinic is not None
    patients = visible(caller, Patient)
    words = filters.q.split()[:MAX_SEARCH_WORDS]
    for word in words:
        patients = patients.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    if filters.created_after is not None:
        after = filters.created_after
        if timezone.is_naive(after):
            after = timezone.make_aware(after, time_zone(caller.clinic.time_zone))
        patients = patients.filter(created_at__gt=after)
    query = " ".join(words)
    record(request, AuditAction.VIEW, caller.clinic, detail=f"patient list{f' (search: {query})' if query else ''}")
    return page(patients.order_by("last_name", "first_name", "id"), paging)


@router.post("/patients", response=responses({201: PatientOut}))
def create_patient(request: HttpRequest, details: PatientIn) -> Any:
    caller = actor(request)
    assert caller.clinic is not None
    patient = actions.create_patient(caller.clinic, details.model_dump(), by=request.user, request=request)
    return Status(201, patient)


@router.get("/patients/{patient_id}", response=responses({200: PatientOut}))
def get_patient_record(request: HttpRequest, patient_id: RecordId) -> Any:
    return get_patient(request, actor(request), patient_id)
