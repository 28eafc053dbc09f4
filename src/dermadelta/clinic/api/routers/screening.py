"""Consultations: the intake questionnaire's answers and the screening verdict with its reasons."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from dermadelta.clinic.api.auth import actor
from dermadelta.clinic.api.errors import responses
from dermadelta.clinic.api.lookups import patient_to_change
from dermadelta.clinic.api.paging import page
from dermadelta.clinic.api.routers import RecordId
from dermadelta.clinic.api.schemas import ConsultationIn, ConsultationOut, Page, Paging
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.access import get_patient, get_record
from dermadelta.clinic.records.models import Consultation
from dermadelta.clinic.records.schedule import clinic_today

router = Router(tags=["screening"])


@router.post("/patients/{patient_id}/consultations", response=responses({201: ConsultationOut}))
def record_consultation(request: HttpRequest, patient_id: RecordId, consultation: ConsultationIn) -> Any:
    """Screen the answers: the verdict (go, caution, defer, refer), its reasons and the first day to treat."""
    patient = patient_to_change(request, patient_id)
    recorded = actions.record_consultation(
        patient,
        on=consultation.on or clinic_today(patient.clinic),
        zones=consultation.zones,
        answers=consultation.answers,
        by=request.user,
        request=request,
    )
    return Status(201, recorded)


@router.get("/patients/{patient_id}/consultations", response=responses({200: Page[ConsultationOut]}))
def list_consultations(request: HttpRequest, patient_id: RecordId, paging: Query[Paging]) -> Any:
    patient = get_patient(request, actor(request), patient_id, detail="consultations")
    return page(patient.consultations.all(), paging)


@router.get("/consultations/{consultation_id}", response=responses({200: ConsultationOut}))
def get_consultation(request: HttpRequest, consultation_id: RecordId) -> Any:
    return get_record(request, actor(request), Consultation, consultation_id)
