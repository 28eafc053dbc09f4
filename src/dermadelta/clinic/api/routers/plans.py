"""Treatment plans: made from the patient's latest consultation within the protocol's caps; listed; read."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from dermadelta.clinic.api.auth import actor
from dermadelta.clinic.api.errors import responses
from dermadelta.clinic.api.lookups import patient_to_change
from dermadelta.clinic.api.paging import page
from dermadelta.clinic.api.routers import RecordId
from dermadelta.clinic.api.schemas import Page, Paging, PlanDetailOut, PlanIn, PlanOut
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.access import get_patient, get_record
from dermadelta.clinic.records.models import TreatmentPlan

router = Router(tags=["plans"])


@router.post("/patients/{patient_id}/plans", response=responses({201: PlanDetailOut}))
def create_plan(request: HttpRequest, patient_id: RecordId, plan: PlanIn) -> Any:
    """Make the plan from the latest consultation and make it the active one (earlier plans are kept)."""
    patient = patient_to_change(request, patient_id)
    made = actions.create_plan(
        patient,
        actions.PlanRequest.like(plan),
        consultation=patient.consultations.first(),
        by=request.user,
        request=request,
    )
    return Status(201, made)


@router.get("/patients/{patient_id}/plans", response=responses({200: Page[PlanOut]}))
def list_plans(request: HttpRequest, patient_id: RecordId, paging: Query[Paging]) -> Any:
    """The patient's plans, newest first; one of them is active."""
    patient = get_patient(request, actor(request), patient_id, detail="plans")
    return page(patient.plans.all(), paging)


@router.get("/plans/{plan_id}", response=responses({200: PlanDetailOut}))
def get_plan(request: HttpRequest, plan_id: RecordId) -> Any:
    return get_record(request, actor(request), TreatmentPlan, plan_id)
