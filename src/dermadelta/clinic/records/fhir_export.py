"""One patient's course as a FHIR R4 ``Bundle`` of type ``collection``.

The bundle holds the Patient; a Consent per consent given (``inactive`` once
withdrawn); a QuestionnaireResponse per consultation (built by
:mod:`dermadelta.protocol.fhir`); a CarePlan per treatment plan, its activities
the planned sessions; a Procedure per charted session; a DocumentReference per
photo; and an Observation per measured metric and zone of every finished
comparison. Every resource is validated through the ``fhir.resources`` R4B
models (R4B keeps R4's structure of these resources, and it is the release the
package provides next to R5): an invalid one stops the export with
:class:`FhirExportError` naming it, never a bundle with the resource left out.

Ids are deterministic (``patient-7``, ``photo-12``, ``comparison-3-chin-redness``),
each entry's ``fullUrl`` is a name-based UUID of its type and id
(``urn:uuid:...``), and every reference in the bundle is such a ``urn:uuid``, so
it resolves to an entry of the same bundle.

Photos: a DocumentReference points at the photo through the page that checks who
asks (``/photos/<id>/image/``), never at a stored file, and carries no image
data. Photos leave the clinic in this export only while the patient's
photography consent is active and their marketing consent has not been
withdrawn (a consent given again counts from then on). When either is not the
case, the export has no DocumentReference at all, and the Observations measured
from the photos keep their numbers but carry no ``derivedFrom`` reference to them.

Coding: the consent's scope is HL7's ``consentscope`` (``treatment`` for
treatment, ``patient-privacy`` for clinical photography and marketing use of
photos), its category LOINC 59284-0 "Patient consent" with the kind of consent
under ``urn:dermadelta:consent``; metrics are coded under ``urn:dermadelta:metric``
with the zone as the body site (``urn:dermadelta:zone``, the zones of the intake
questionnaire), and the verdict against the minimal detectable change under
``urn:dermadelta:change``. No SNOMED CT or LOINC code is claimed for microneedling
or for the metrics: there is none that means exactly the same.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from pydantic import ValidationError

from dermadelta.clinic.records.choices import ConsentKind, JobStatus
from dermadelta.clinic.records.course_progress import stored_changes
from dermadelta.clinic.records.models import (
    Comparison,
    Consent,
    Consultation,
    Patient,
    Photo,
    TreatmentPlan,
    TreatmentSession,
)
from dermadelta.clinic.records.schedule import planned_sessions
from dermadelta.errors import DermadeltaError, InputError
from dermadelta.imaging.metrics import METRICS
from dermadelta.protocol.fhir import ZONE_SYSTEM, questionnaire_response
from dermadelta.protocol.rulebook import load_rulebook
from dermadelta.protocol.screening import parse_intake
from dermadelta.reports.comparison_report import METRIC_LABELS, zone_label

METRIC_SYSTEM = "urn:dermadelta:metric"
CONSENT_KIND_SYSTEM = "urn:dermadelta:consent"
CHANGE_SYSTEM = "urn:dermadelta:change"
COMPARISON_VALUE_SYSTEM = "urn:dermadelta:comparison-value"
CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
LOINC = "http://loinc.org"
#: Names the UUIDs of the entries; the same record always gets the same fullUrl.
UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:dermadelta:fhir")
PROCEDURE_TEXT = "Microneedling (collagen induction therapy)"

#: Consent kind -> HL7 consent scope code.
CONSENT_SCOPES = {
    ConsentKind.TREATMENT: ("treatment", "Treatment"),
    ConsentKind.PHOTOGRAPHY: ("patient-privacy", "Privacy Consent"),
    ConsentKind.MARKETING: ("patient-privacy", "Privacy Consent"),
}
#: Verdict of a comparison -> HL7 interpretation, when the change is larger than the MDC.
INTERPRETATIONS = {"increased": ("U", "Significant change up"), "decreased": ("D", "Significant change down")}
CHANGE_WORDS = {
    "increased": "Increased by more than the minimal detectable change",
    "decreased": "Decreased by more than the minimal detectable change",
    "none": "Within the minimal detectable change",
}


class FhirExportError(DermadeltaError):
    """The record cannot be exported as valid FHIR; the message says which resource and why."""


# --- references --------------------------------------------------------------------------------


def full_url(resource_type: str, resource_id: str) -> str:
    """The entry's ``fullUrl``: a UUID named by the resource's type and id."""
    return f"urn:uuid:{uuid.uuid5(UUID_NAMESPACE, f'{resource_type}/{resource_id}')}"


def reference(resource_type: str, resource_id: str, display: str = "") -> dict[str, Any]:
    ref: dict[str, Any] = {"reference": full_url(resource_type, resource_id)}
    if display:
        ref["display"] = display
    return ref


def _id(kind: str, *parts: object) -> str:
    # FHIR ids allow letters, digits, "-" and "."; zone and metric names have "_".
    return "-".join([kind, *(str(p).replace("_", "-") for p in parts)])


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def _coding(system: str, code: str, display: str = "") -> dict[str, Any]:
    coding = {"system": system, "code": code}
    return coding | {"display": display} if display else coding


def _zone(zone: str) -> dict[str, Any]:
    return {"coding": [_coding(ZONE_SYSTEM, zone)], "text": zone_label(zone)}


# --- validation ------------------------------------------------------------------------------


def _model(resource_type: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource_type)


def validated(resource: Mapping[str, Any]) -> dict[str, Any]:
    """``resource`` parsed by its R4B model and dumped again; FhirExportError names an invalid one."""
    resource_type = str(resource.get("resourceType", ""))
    name = f"{resource_type}/{resource.get('id', '?')}"
    try:
        model = _model(resource_type)
    except (KeyError, ValueError):
        raise FhirExportError(f"{name}: no such FHIR R4 resource type") from None
    try:
        parsed = model.model_validate(dict(resource))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise FhirExportError(f"{name} is not valid FHIR R4: {problems}") from None
    dumped: dict[str, Any] = parsed.model_dump(mode="json", exclude_none=True)
    return dumped


# --- the resources ---------------------------------------------------------------------------


def patient_resource(patient: Patient) -> dict[str, Any]:
    telecom = [{"system": "email", "value": patient.email}] if patient.email else []
    telecom += [{"system": "phone", "value": patient.phone}] if patient.phone else []
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": _id("patient", patient.pk),
        "name": [{"family": patient.last_name, "given": [patient.first_name], "text": patient.full_name}],
        "birthDate": patient.date_of_birth.isoformat(),
        "managingOrganization": {"display": patient.clinic.name},
    }
    if telecom:
        resource["telecom"] = telecom
    return resource


def consent_resource(consent: Consent, patient_ref: Mapping[str, Any]) -> dict[str, Any]:
    kind = ConsentKind(consent.kind)
    scope, scope_display = CONSENT_SCOPES[kind]
    period = {"start": consent.granted_at.isoformat()}
    if consent.withdrawn_at is not None:
        period["end"] = consent.withdrawn_at.isoformat()
    return {
        "resourceType": "Consent",
        "id": _id("consent", consent.pk),
        "status": "active" if consent.active else "inactive",
        "scope": {"coding": [_coding(CONSENT_SCOPE_SYSTEM, scope, scope_display)]},
        "category": [
            {
                "coding": [
                    _coding(LOINC, "59284-0", "Patient Consent"),
                    _coding(CONSENT_KIND_SYSTEM, kind.value, kind.label),
                ],
                "text": kind.label,
            }
        ],
        "patient": patient_ref,
        "dateTime": consent.granted_at.isoformat(),
        "performer": [patient_ref],
        "policyRule": {"coding": [_coding(ACT_CODE_SYSTEM, "OPTIN", "opt-in")]},
        "provision": {"type": "permit", "period": period},
    }


def questionnaire_response_resource(consultation: Consultation, patient_ref: Mapping[str, Any]) -> dict[str, Any]:
    """The intake as :func:`dermadelta.protocol.fhir.questionnaire_response` gives it, about this patient."""
    resource_id = _id("consultation", consultation.pk)
    try:
        intake = parse_intake({"answers": consultation.answers}, on=consultation.on, zones=consultation.zones)
        response = questionnaire_response(intake, authored=consultation.created_at)
    except InputError as error:
        raise FhirExportError(f"QuestionnaireResponse/{resource_id}: the intake cannot be read: {error}") from None
    return {**response, "id": resource_id, "subject": patient_ref}


def care_plan_resource(
    plan: TreatmentPlan, patient_ref: Mapping[str, Any], charted: Mapping[int, TreatmentSession]
) -> dict[str, Any]:
    """``charted``: this plan's charted sessions by number; they complete the activity and are its outcome."""
    sessions = planned_sessions(plan)
    activities = []
    for session in sessions:
        done = charted.get(session.number)
        depths = ", ".join(f"{zone_label(zone)} {depth} mm" for zone, depth in session.depths.items())
        detail: dict[str, Any] = {
            "kind": "ServiceRequest",
            "code": {"text": f"{PROCEDURE_TEXT}, session {session.number} of {len(sessions)}"},
            "status": "completed" if done else "scheduled",
            "scheduledPeriod": {"start": session.date.isoformat(), "end": session.date.isoformat()},
        }
        if depths:
            detail["description"] = f"Planned needle depth: {depths}"
        activity: dict[str, Any] = {"detail": detail}
        if done:
            activity["outcomeReference"] = [reference("Procedure", _id("session", done.pk))]
        activities.append(activity)
    targets = ", ".join(str(t) for t in plan.targets) if isinstance(plan.targets, list) else ""
    if plan.active:
        status = "active"
    else:
        # A plan replaced before its last session was charted was stopped, not finished.
        status = "completed" if sessions and all(s.number in charted for s in sessions) else "revoked"
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": _id("plan", plan.pk),
        "status": status,
        "intent": "plan",
        "title": "Microneedling treatment plan",
        "subject": patient_ref,
        "created": plan.created_at.isoformat(),
        "period": {"start": plan.start.isoformat()},
    }
    if targets:
        resource["description"] = f"Targets (concern: zones): {targets}"
    if sessions:
        resource["period"]["end"] = sessions[-1].date.isoformat()
    if activities:
        resource["activity"] = activities
    return resource


def procedure_resource(session: TreatmentSession, patient_ref: Mapping[str, Any]) -> dict[str, Any]:
    book = load_rulebook()
    device = book.devices.get(session.device)
    depths = ", ".join(f"{zone_label(zone)} {depth} mm" for zone, depth in session.depths.items())
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": _id("session", session.pk),
        "status": "completed",
        "code": {"text": f"{PROCEDURE_TEXT}, session {session.number}"},
        "subject": patient_ref,
        "performedDateTime": session.on.isoformat(),
        "bodySite": [_zone(zone) for zone in session.depths],
        "usedCode": [{"text": device.label if device else session.device}],
        "note": [
            {"text": f"Needle depth: {depths}"},
            {"text": f"{session.passes} passes; endpoint: {session.get_endpoint_display()}"},
        ],
    }
    practitioner = _person(session.practitioner)
    if practitioner:
        resource["performer"] = [{"actor": {"display": practitioner}}]
    if session.plan_id is not None:
        resource["basedOn"] = [reference("CarePlan", _id("plan", session.plan_id))]
    return resource


def document_reference_resource(photo: Photo, patient_ref: Mapping[str, Any]) -> dict[str, Any]:
    attachment = {
        "contentType": "image/jpeg",
        "url": reverse("photo_image", args=[photo.pk]),
        "title": f"{photo.label}, {photo.day.isoformat()}",
        "creation": photo.taken_at.isoformat() if photo.taken_at else photo.day.isoformat(),
    }
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": _id("photo", photo.pk),
        "status": "current",
        "type": {"text": f"Clinical photograph, {photo.get_view_display().lower()} view"},
        "subject": patient_ref,
        "date": photo.uploaded_at.isoformat(),
        "content": [{"attachment": attachment}],
    }
    if photo.session_id is not None:
        resource["context"] = {"related": [reference("Procedure", _id("session", photo.session_id))]}
    return resource


def observation_resources(
    comparison: Comparison, patient_ref: Mapping[str, Any], *, with_photos: bool
) -> list[dict[str, Any]]:
    """One Observation per zone and metric the comparison measured (not-measurable ones are left out)."""
    observations = []
    derived = [reference("DocumentReference", _id("photo", pk)) for pk in (comparison.before_id, comparison.after_id)]
    for zone, metrics in stored_changes(comparison.result).zones.items():
        for metric, change in metrics.items():
            if change.delta is None or change.change not in CHANGE_WORDS:
                continue
            unit = METRICS[metric].unit
            label = METRIC_LABELS.get(metric, metric)
            interpretation = [_coding(CHANGE_SYSTEM, change.change, CHANGE_WORDS[change.change])]
            if change.change in INTERPRETATIONS:
                interpretation.append(_coding(INTERPRETATION_SYSTEM, *INTERPRETATIONS[change.change]))
            parts = (("before", change.before), ("after", change.after), ("mdc", change.mdc))
            observation: dict[str, Any] = {
                "resourceType": "Observation",
                "id": _id("comparison", comparison.pk, zone, metric),
                "status": "final",
                "category": [{"coding": [_coding(OBSERVATION_CATEGORY_SYSTEM, "imaging", "Imaging")]}],
                "code": {
                    "coding": [_coding(METRIC_SYSTEM, metric, label)],
                    "text": f"Change in {label.lower()}, {zone_label(zone)}",
                },
                "subject": patient_ref,
                "effectiveDateTime": comparison.after.day.isoformat(),
                "bodySite": _zone(zone),
                "valueQuantity": {"value": change.delta, "unit": unit},
                "interpretation": [{"coding": interpretation, "text": CHANGE_WORDS[change.change]}],
                "method": {"text": "Before/after photo comparison (dermadelta.compare/1)"},
                "component": [
                    {
                        "code": {"coding": [_coding(COMPARISON_VALUE_SYSTEM, name)]},
                        "valueQuantity": {"value": value, "unit": unit},
                    }
                    for name, value in parts
                    if value is not None
                ],
            }
            if comparison.finished_at is not None:
                observation["issued"] = comparison.finished_at.isoformat()
            if with_photos:
                observation["derivedFrom"] = derived
            observations.append(observation)
    return observations


# --- the bundle ------------------------------------------------------------------------------


def photos_exportable(patient: Patient) -> bool:
    """Photos go out while photography consent is active and marketing consent is not withdrawn."""
    active = patient.active_consents()
    marketing_withdrawn = patient.consents.filter(kind=ConsentKind.MARKETING, withdrawn_at__isnull=False).exists()
    return ConsentKind.PHOTOGRAPHY in active and (ConsentKind.MARKETING in active or not marketing_withdrawn)


def _entries(resources: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"fullUrl": full_url(r["resourceType"], r["id"]), "resource": validated(r)} for r in resources]


def patient_bundle(patient: Patient, *, now: dt.datetime) -> dict[str, Any]:
    """The patient's course as a validated FHIR R4 collection Bundle (JSON dict); ``now`` is its timestamp."""
    patient_ref = reference("Patient", _id("patient", patient.pk), patient.full_name)
    with_photos = photos_exportable(patient)
    sessions = list(patient.sessions.select_related("practitioner").order_by("on", "number", "pk"))
    charted: dict[int, dict[int, TreatmentSession]] = {}
    for session in sessions:
        if session.plan_id is not None:
            charted.setdefault(session.plan_id, {})[session.number] = session
    comparisons: QuerySet[Comparison] = patient.comparisons.filter(status=JobStatus.DONE).select_related(
        "before__session", "after__session"
    )
    resources: list[dict[str, Any]] = [patient_resource(patient)]
    resources += [consent_resource(c, patient_ref) for c in patient.consents.order_by("granted_at", "pk")]
    resources += [questionnaire_response_resource(c, patient_ref) for c in patient.consultations.order_by("on", "pk")]
    resources += [
        care_plan_resource(p, patient_ref, charted.get(p.pk, {})) for p in patient.plans.order_by("created_at", "pk")
    ]
    resources += [procedure_resource(s, patient_ref) for s in sessions]
    if with_photos:
        photos = patient.photos.select_related("session").order_by("uploaded_at", "pk")
        resources += [document_reference_resource(p, patient_ref) for p in photos]
    for comparison in comparisons.order_by("created_at", "pk"):
        resources += observation_resources(comparison, patient_ref, with_photos=with_photos)
    return validated(
        {
            "resourceType": "Bundle",
            "id": _id("patient", patient.pk, "course"),
            "type": "collection",
            "timestamp": now.isoformat(),
            "entry": _entries(resources),
        }
    )


def download_name(patient: Patient) -> str:
    """A file name without the patient's name (downloads end up in shared folders and mail)."""
    return f"patient-{patient.pk}-fhir.json"
