"""The FHIR R4 export of a patient's course, for staff of the patient's clinic.

``?type=transaction`` (the default) is what a FHIR server imports; ``?type=collection`` the plain set of resources.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from dermadelta.clinic.accounts.access import Actor, staff_required
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records.access import get_patient
from dermadelta.clinic.records.fhir_export import FhirExportError, bundle_type, download_name, patient_bundle


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@staff_required
def patient_fhir(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    try:
        kind = bundle_type(request.GET.get("type", "transaction"))
    except FhirExportError as error:
        return _plain(f"This export cannot be made: {error}", 400)
    patient = get_patient(request, actor, pk, action=AuditAction.DOWNLOAD, detail="FHIR export")
    try:
        bundle = patient_bundle(
            patient,
            now=timezone.now(),
            base_url=request.build_absolute_uri("/"),
            kind=kind,
            photos=settings.FHIR_PHOTOS,
        )
    except FhirExportError as error:
        return _plain(f"This record cannot be exported: {error}", 409)
    response = HttpResponse(json.dumps(bundle, indent=2), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="{download_name(patient, kind)}"'
    response["Cache-Control"] = "private, no-store"
    return response
