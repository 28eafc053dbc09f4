"""Before/after comparisons: ask for one, follow its status, read its result, download its PDF report."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from dermadelta.clinic.api.auth import actor
from dermadelta.clinic.api.errors import ApiError, ErrorOut, responses
from dermadelta.clinic.api.lookups import patient_to_change, record_to_change
from dermadelta.clinic.api.paging import page
from dermadelta.clinic.api.routers import RecordId
from dermadelta.clinic.api.schemas import ComparisonDetailOut, ComparisonIn, ComparisonOut, Page, Paging
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.access import get_patient, get_record
from dermadelta.clinic.records.choices import JobStatus
from dermadelta.clinic.records.models import Comparison

router = Router(tags=["comparisons"])

PDF = {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}, "description": "The report"}


@router.post("/patients/{patient_id}/comparisons", response=responses({201: ComparisonOut}))
def request_comparison(request: HttpRequest, patient_id: RecordId, pair: ComparisonIn) -> Any:
    """Measure the later photo against the earlier one in the background (a pair asked twice is measured once)."""
    patient = patient_to_change(request, patient_id)
    photos = {p.pk: p for p in patient.photos.filter(pk__in=[pair.before_id, pair.after_id])}
    if pair.before_id not in photos or pair.after_id not in photos:
        raise ApiError("not_found", "No such photo for this patient.")
    comparison = actions.request_comparison(
        photos[pair.before_id], photos[pair.after_id], by=request.user, request=request
    )
    return Status(201, comparison)


@router.get("/patients/{patient_id}/comparisons", response=responses({200: Page[ComparisonOut]}))
def list_comparisons(request: HttpRequest, patient_id: RecordId, paging: Query[Paging]) -> Any:
    patient = get_patient(request, actor(request), patient_id, detail="comparisons")
    return page(patient.comparisons.select_related("before__session", "after__session"), paging)


@router.get("/comparisons/{comparison_id}", response=responses({200: ComparisonDetailOut}))
def get_comparison(request: HttpRequest, comparison_id: RecordId) -> Any:
    """The comparison's status and, once done, its result per zone and metric."""
    return get_record(request, actor(request), Comparison, comparison_id)


@router.get(
    "/comparisons/{comparison_id}/report.pdf",
    response=responses({409: ErrorOut}),
    openapi_extra={"responses": {200: PDF}},
)
def comparison_report(request: HttpRequest, comparison_id: RecordId) -> HttpResponse:
    """The PDF report of a finished comparison (409 while it is still being measured)."""
    comparison = get_record(
        request, actor(request), Comparison, comparison_id, action=AuditAction.DOWNLOAD, detail="report.pdf"
    )
    if comparison.status != JobStatus.DONE:
        raise ApiError("conflict", f"The report is not ready: the comparison is {comparison.status}.")
    if not comparison.report_pdf:
        raise ApiError("not_found", "This comparison has no report.")
    try:
        with comparison.report_pdf.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ApiError("not_found", "This comparison has no report.") from None
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="comparison-{comparison.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.post("/comparisons/{comparison_id}/retry", response=responses({200: ComparisonOut}))
def retry_comparison(request: HttpRequest, comparison_id: RecordId) -> Any:
    """Queue a failed comparison again."""
    comparison = record_to_change(request, Comparison, comparison_id)
    actions.retry(comparison, by=request.user, request=request)
    return comparison
