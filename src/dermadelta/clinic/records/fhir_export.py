"""One patient's course as a FHIR R4 ``Bundle``: a ``transaction`` a server imports, or a ``collection``.

The bundle holds the Patient; a Consent per consent given (``inactive`` once
withdrawn); a QuestionnaireResponse per consultation (built by
:mod:`dermadelta.protocol.fhir`, ``authored`` on the consultation's day); a
CarePlan per treatment plan, its activities the planned sessions; a Procedure per
charted session; a DocumentReference per photo; an Observation per measured
metric and zone of every finished comparison; and the CodeSystem of the metric
codes those Observations use. Every resource is validated through the
``fhir.resources`` R4B models (R4B keeps R4's structure of these resources, and
it is the release the package provides next to R5): an invalid one stops the
export with :class:`FhirExportError` naming it, never a bundle with the resource
left out.

Ids are deterministic (``patient-7``, ``photo-12``, ``comparison-3-chin-redness``),
each entry's ``fullUrl`` is a name-based UUID of its type and id
(``urn:uuid:...``), and every reference in the bundle is such a ``urn:uuid``, so
it resolves to an entry of the same bundle; a server that imports the
transaction replaces each with the id it gives the resource.

Identifiers: every record carries one in the clinic's own systems, named under
the clinic's web address (``<address>/fhir/sid/patient`` with the patient's
number, ``<address>/fhir/sid/record`` with the record's id), so that importing
the same export twice, or a later one, finds what the first import made. The
transaction creates the Patient and the CodeSystem only when none exists
(``ifNoneExist``: a server's own copy of the patient is never overwritten), and
writes every other record by a conditional update on its identifier, so that a
consent withdrawn since, a plan finished or a changed measurement reaches the
server too. Photos that may no longer leave the clinic are deleted from the
server the same way (a conditional delete on their identifiers).

Photos: a DocumentReference carries the photo (the copy the pages show, without
EXIF) either inside the file, base64 with its size and SHA-1 (``embed``, the
default: a receiving server needs nothing else), or as the absolute address of
the page that checks who asks (``url``: only signed-in staff of the clinic can
open it); ``DERMADELTA_FHIR_PHOTOS`` chooses. Photos leave the clinic in this
export only while the patient's photography consent is active and their
marketing consent has not been withdrawn (a consent given again counts from then
on). When either is not the case, the export has no DocumentReference at all,
and the Observations measured from the photos keep their numbers but carry no
``derivedFrom`` reference to them.

Coding: the consent's scope is HL7's ``consentscope`` (``treatment`` for
treatment, ``patient-privacy`` for clinical photography and marketing use of
photos), its category LOINC 59284-0 "Patient consent" with the kind of consent
under ``urn:dermadelta:consent``; metrics are coded under ``urn:dermadelta:metric``
(published in the bundle as a CodeSystem) with the zone as the body site
(``urn:dermadelta:zone``, the zones of the intake questionnaire), and the verdict
against the minimal detectable change under ``urn:dermadelta:change``. Every
Quantity is in UCUM (``http://unitsofmeasure.org``): ``1`` for an index or a
fraction, ``%`` for a value scaled by 100, ``deg`` for the tone angle, with the
metric's own unit as the text. No SNOMED CT or LOINC code is claimed for
microneedling or for the metrics: we found none that means the same, so the
procedure is named in words.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

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
from dermadelta.protocol.fhir import ZONE_SYSTEM, PhotoMode, photo_mode, questionnaire_response
from dermadelta.protocol.rulebook import load_rulebook
from dermadelta.protocol.screening import parse_intake
from dermadelta.reports.comparison_report import METRIC_LABELS, zone_label

METRIC_SYSTEM = "urn:dermadelta:metric"
#: The metric codes change only by additions; a new code is a new version of the CodeSystem.
METRIC_SYSTEM_VERSION = "1"
CONSENT_KIND_SYSTEM = "urn:dermadelta:consent"
CHANGE_SYSTEM = "urn:dermadelta:change"
COMPARISON_VALUE_SYSTEM = "urn:dermadelta:comparison-value"
CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
#: Names the UUIDs of the entries; the same record always gets the same fullUrl.
UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:dermadelta:fhir")
PROCEDURE_TEXT = "Microneedling (collagen induction therapy)"

#: Each metric's UCUM code: "1" for an index or a fraction, "%" for a value scaled by 100
#: (100 x a standard deviation, a contrast or a line strength), "deg" for the tone angle.
#: The metric's own unit (``METRICS[metric].unit``) goes with it as the unit's text.
UCUM_CODES = {
    "redness": "1",
    "pigmentation": "1",
    "tone_ita": "deg",
    "unevenness": "%",
    "texture": "%",
    "pores": "%",
    "wrinkles": "%",
    "spots": "1",
}

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


class BundleType(StrEnum):
    """``transaction``: what a FHIR server imports (the default); ``collection``: a plain set of resources."""

    TRANSACTION = "transaction"
    COLLECTION = "collection"


def bundle_type(value: str) -> BundleType:
    """``value`` as a :class:`BundleType`; FhirExportError in plain words when it is neither."""
    try:
        return BundleType(value.strip().lower())
    except ValueError:
        raise FhirExportError(f"{value!r} is not a kind of export: use transaction or collection") from None


# --- references and identifiers ---------------------------------------------------------------------


def full_url(resource_type: str, resource_id: str) -> str:
    """The entry's ``fullUrl``: a UUID named by the resource's type and id."""
    return f"urn:uuid:{uuid.uuid5(UUID_NAMESPACE, f'{resource_type}/{resource_id}')}"


def reference(resource_type: str, resource_id: str, display: str = "") -> dict[str, Any]:
    # The type too: a urn:uuid alone does not say what it points at until the server resolves it.
    ref: dict[str, Any] = {"reference": full_url(resource_type, resource_id), "type": resource_type}
    if display:
        ref["display"] = display
    return ref


@dataclass(frozen=True)
class Namespace:
    """The clinic's own identifier systems, named under its web address (``https://clinic.example``)."""

    address: str

    @classmethod
    def at(cls, base_url: str) -> Namespace:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FhirExportError(f"{base_url!r} is not the clinic's web address (http:// or https://, with a host)")
        return cls(f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}")

    @property
    def patient_system(self) -> str:
        return f"{self.address}/fhir/sid/patient"

    @property
    def record_system(self) -> str:
        return f"{self.address}/fhir/sid/record"

    def url(self, path: str) -> str:
        return f"{self.address}{path}"


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


def quantity(value: float, metric: str) -> dict[str, Any]:
    """A metric's value as a UCUM Quantity, the metric's own unit as its text."""
    return {"value": value, "unit": METRICS[metric].unit, "system": UCUM, "code": UCUM_CODES[metric]}


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


def metric_code_system() -> dict[str, Any]:
    """The CodeSystem of the metric codes the Observations use (``urn:dermadelta:metric``)."""
    return {
        "resourceType": "CodeSystem",
        "id": "dermadelta-metric",
        "url": METRIC_SYSTEM,
        "version": METRIC_SYSTEM_VERSION,
        "name": "DermadeltaMetric",
        "title": "Skin measures from before-and-after photos",
        "status": "active",
        "experimental": False,
        "publisher": "dermadelta",
        "description": "What dermadelta measures on a zone of the face in a photo; every measure but the tone angle "
        "is higher when there is more of the concern.",
        "caseSensitive": True,
        "content": "complete",
        "count": len(METRICS),
        "concept": [
            {"code": name, "display": METRIC_LABELS.get(name, name), "definition": f"{spec.description} ({spec.unit})"}
            for name, spec in METRICS.items()
        ],
    }


def patient_resource(patient: Patient, namespace: Namespace) -> dict[str, Any]:
    telecom = [{"system": "email", "value": patient.email}] if patient.email else []
    telecom += [{"system": "phone", "value": patient.phone}] if patient.phone else []
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": _id("patient", patient.pk),
        "identifier": [{"use": "usual", "system": namespace.patient_system, "value": str(patient.pk)}],
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
    """The intake as :func:`dermadelta.protocol.fhir.questionnaire_response` gives it, about this patient.

    ``authored`` is the consultation's day, when the patient answered, not when the record was typed in.
    """
    resource_id = _id("consultation", consultation.pk)
    try:
        intake = parse_intake({"answers": consultation.answers}, on=consultation.on, zones=consultation.zones)
        response = questionnaire_response(intake, authored=consultation.on)
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


def _attachment(photo: Photo, mode: PhotoMode, namespace: Namespace) -> dict[str, Any]:
    """The photo the pages show (no EXIF), inside the file or as the address of the page that checks who asks."""
    attachment: dict[str, Any] = {
        "contentType": "image/jpeg",
        "title": f"{photo.label}, {photo.day.isoformat()}",
        "creation": photo.taken_at.isoformat() if photo.taken_at else photo.day.isoformat(),
    }
    if mode is PhotoMode.URL:
        return attachment | {"url": namespace.url(reverse("photo_image", args=[photo.pk]))}
    try:
        with photo.display.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, ValueError):  # ValueError: the row has no display copy
        raise FhirExportError(f"DocumentReference/{_id('photo', photo.pk)}: the photo's file is missing") from None
    # FHIR R4's Attachment.hash is the SHA-1 of the data, in base64.
    return attachment | {
        "data": base64.b64encode(data).decode("ascii"),
        "size": len(data),
        "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),  # noqa: S324 - required by FHIR
    }


def document_reference_resource(
    photo: Photo, patient_ref: Mapping[str, Any], *, mode: PhotoMode, namespace: Namespace
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": _id("photo", photo.pk),
        "status": "current",
        "type": {"text": f"Clinical photograph, {photo.get_view_display().lower()} view"},
        "subject": patient_ref,
        "date": photo.uploaded_at.isoformat(),
        "content": [{"attachment": _attachment(photo, mode, namespace)}],
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
            if metric not in UCUM_CODES:
                raise FhirExportError(f"Observation: {metric!r} is not a measure this export knows")
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
                "valueQuantity": quantity(change.delta, metric),
                "interpretation": [{"coding": interpretation, "text": CHANGE_WORDS[change.change]}],
                "method": {"text": "Before/after photo comparison (dermadelta.compare/1)"},
                "component": [
                    {
                        "code": {"coding": [_coding(COMPARISON_VALUE_SYSTEM, name)]},
                        "valueQuantity": quantity(value, metric),
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


def _with_identifier(resource: dict[str, Any], namespace: Namespace) -> dict[str, Any]:
    """The record's id under the clinic's record system (the Patient and the CodeSystem have their own keys)."""
    if resource["resourceType"] in ("Patient", "CodeSystem"):
        return resource
    identifier = {"system": namespace.record_system, "value": resource["id"]}
    # QuestionnaireResponse has one identifier in R4; the other resources a list.
    resource["identifier"] = identifier if resource["resourceType"] == "QuestionnaireResponse" else [identifier]
    return resource


def _request(resource: Mapping[str, Any], namespace: Namespace) -> dict[str, Any]:
    """How a server is to write ``resource`` within the transaction (see the module's notes)."""
    resource_type = resource["resourceType"]
    if resource_type == "Patient":
        patient_number = resource["identifier"][0]["value"]
        return {
            "method": "POST",
            "url": "Patient",
            "ifNoneExist": f"identifier={namespace.patient_system}|{patient_number}",
        }
    if resource_type == "CodeSystem":
        return {
            "method": "POST",
            "url": "CodeSystem",
            "ifNoneExist": f"url={resource['url']}&version={resource['version']}",
        }
    return {"method": "PUT", "url": f"{resource_type}?identifier={namespace.record_system}|{resource['id']}"}


def _entries(resources: Iterable[dict[str, Any]], kind: BundleType, namespace: Namespace) -> list[dict[str, Any]]:
    entries = []
    for resource in resources:
        entry: dict[str, Any] = {
            "fullUrl": full_url(resource["resourceType"], resource["id"]),
            "resource": validated(_with_identifier(resource, namespace)),
        }
        if kind is BundleType.TRANSACTION:
            entry["request"] = _request(resource, namespace)
            # The server names what it creates; an id of ours would make a conditional update that
            # finds nothing an "update as create", which servers may refuse (Medplum does).
            del entry["resource"]["id"]
        entries.append(entry)
    return entries


def _withdrawn_photos(patient: Patient, namespace: Namespace) -> list[dict[str, Any]]:
    """Deletes, on the server, of every photo of the patient sent before: they may no longer leave the clinic."""
    return [
        {
            "request": {
                "method": "DELETE",
                "url": f"DocumentReference?identifier={namespace.record_system}|{_id('photo', pk)}",
            }
        }
        for pk in patient.photos.order_by("pk").values_list("pk", flat=True)
    ]


def patient_bundle(
    patient: Patient,
    *,
    now: dt.datetime,
    base_url: str,
    kind: BundleType | str = BundleType.TRANSACTION,
    photos: PhotoMode | str = PhotoMode.EMBED,
) -> dict[str, Any]:
    """The patient's course as a validated FHIR R4 Bundle (JSON dict).

    ``now`` is its timestamp; ``base_url`` the clinic's web address (it names the
    clinic's identifier systems and the photos' addresses); ``kind`` a transaction
    or a collection; ``photos`` how the photos travel. An unknown ``kind`` or
    ``photos`` is refused with FhirExportError.
    """
    namespace = Namespace.at(base_url)
    kind = bundle_type(kind)
    try:
        mode = photo_mode(photos)
    except ValueError as error:
        raise FhirExportError(str(error)) from None
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
    resources: list[dict[str, Any]] = [patient_resource(patient, namespace), metric_code_system()]
    resources += [consent_resource(c, patient_ref) for c in patient.consents.order_by("granted_at", "pk")]
    resources += [questionnaire_response_resource(c, patient_ref) for c in patient.consultations.order_by("on", "pk")]
    resources += [
        care_plan_resource(p, patient_ref, charted.get(p.pk, {})) for p in patient.plans.order_by("created_at", "pk")
    ]
    resources += [procedure_resource(s, patient_ref) for s in sessions]
    if with_photos:
        photo_rows = patient.photos.select_related("session").order_by("uploaded_at", "pk")
        resources += [document_reference_resource(p, patient_ref, mode=mode, namespace=namespace) for p in photo_rows]
    for comparison in comparisons.order_by("created_at", "pk"):
        resources += observation_resources(comparison, patient_ref, with_photos=with_photos)
    entries = _entries(resources, kind, namespace)
    if kind is BundleType.TRANSACTION and not with_photos:
        entries += _withdrawn_photos(patient, namespace)
    return validated(
        {
            "resourceType": "Bundle",
            "id": _id("patient", patient.pk, "course"),
            "type": kind.value,
            "timestamp": now.isoformat(),
            "entry": entries,
        }
    )


def download_name(patient: Patient, kind: BundleType = BundleType.TRANSACTION) -> str:
    """A file name without the patient's name (downloads end up in shared folders and mail)."""
    suffix = "" if kind is BundleType.TRANSACTION else f"-{kind.value}"
    return f"patient-{patient.pk}-fhir{suffix}.json"
