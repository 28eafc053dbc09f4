"""The FHIR R4 export of a patient's course, for staff of the patient's clinic."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from dermadelta.clinic.accounts.access import Actor, staff_required
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records.access import get_patient
from dermadelta.clinic.records.fhir_export import FhirExportError, download_name, patient_bundle


@staff_required
def patient_fhir(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    patient = get_patient(request, actor, pk, action=AuditAction.DOWNLOAD, detail="FHIR export")
    try:
        bundle = patient_bundle(patient, now=timezone.now())
    except FhirExportError as error:
        return HttpResponse(f"This record cannot be exported: {error}", status=409, content_type="text/plain")
    response = HttpResponse(json.dumps(bundle, indent=2), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="{download_name(patient)}"'
    response["Cache-Control"] = "private, no-store"
    return response
