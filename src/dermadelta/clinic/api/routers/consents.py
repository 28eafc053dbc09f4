"""A patient's consents: the history, recording one, withdrawing one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from dermadelta.clinic.api.auth import actor
from dermadelta.clinic.api.errors import responses
from dermadelta.clinic.api.lookups import patient_to_change, record_to_change
from dermadelta.clinic.api.paging import page
from dermadelta.clinic.api.routers import RecordId
from dermadelta.clinic.api.schemas import ConsentIn, ConsentOut, Page, Paging
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.access import get_patient
from dermadelta.clinic.records.models import Consent

router = Router(tags=["consents"])


@router.get("/patients/{patient_id}/consents", response=responses({200: Page[ConsentOut]}))
def list_consents(request: HttpRequest, patient_id: RecordId, paging: Query[Paging]) -> Any:
    """Every consent of the patient, newest first, withdrawn ones included (the history is kept)."""
    patient = get_patient(request, actor(request), patient_id, detail="consents")
    return page(patient.consents.all(), paging)


@router.post("/patients/{patient_id}/consents", response=responses({201: ConsentOut}))
def grant_consent(request: HttpRequest, patient_id: RecordId, consent: ConsentIn) -> Any:
    """Record that the patient gave this consent now (refused while one of the kind is active)."""
    patient = patient_to_change(request, patient_id)
    granted = actions.grant_consent(patient, consent.kind, by=request.user, note=consent.note, request=request)
    return Status(201, granted)


@router.post("/consents/{consent_id}/withdraw", response=responses({200: ConsentOut}))
def withdraw_consent(request: HttpRequest, consent_id: RecordId) -> Any:
    """Withdraw the consent at once (a withdrawn marketing consent takes the photos out of every export)."""
    consent = record_to_change(request, Consent, consent_id)
    return actions.withdraw_consent(consent, by=request.user, request=request)
