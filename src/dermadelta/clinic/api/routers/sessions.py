"""Charted treatment sessions: chart one (depths within the zone's and device's caps), list, read."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from dermadelta.clinic.api.auth import actor
from dermadelta.clinic.api.errors import responses
from dermadelta.clinic.api.lookups import patient_to_change
from dermadelta.clinic.api.paging import page
from dermadelta.clinic.api.routers import RecordId
from dermadelta.clinic.api.schemas import Page, Paging, SessionIn, SessionOut
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.access import get_patient, get_record
from dermadelta.clinic.records.models import TreatmentSession

router = Router(tags=["sessions"])


@router.post("/patients/{patient_id}/sessions", response=responses({201: SessionOut}))
def chart_session(request: HttpRequest, patient_id: RecordId, session: SessionIn) -> Any:
    """Chart a session done: needs treatment consent; each depth is checked against the rule book's caps."""
    patient = patient_to_change(request, patient_id)
    charted = actions.chart_session(patient, session.model_dump(), by=request.user, request=request)
    return Status(201, charted)


@router.get("/patients/{patient_id}/sessions", response=responses({200: Page[SessionOut]}))
def list_sessions(request: HttpRequest, patient_id: RecordId, paging: Query[Paging]) -> Any:
    patient = get_patient(request, actor(request), patient_id, detail="sessions")
    return page(patient.sessions.all(), paging)


@router.get("/sessions/{session_id}", response=responses({200: SessionOut}))
def get_session(request: HttpRequest, session_id: RecordId) -> Any:
    return get_record(request, actor(request), TreatmentSession, session_id)
