"""The FHIR R4 export of a patient's course: a valid Bundle whose references all resolve."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind, JobStatus, View
from dermadelta.clinic.records.fhir_export import UCUM_CODES, FhirExportError, patient_bundle, validated
from dermadelta.clinic.records.models import Comparison, Consent, Consultation, Patient, TreatmentSession
from dermadelta.imaging.metrics import METRICS
from tests.clinic.progress_records import stand_in_photo

TODAY = dt.date(2025, 3, 3)
ADDRESS = "https://clinic.example"
NOW = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)

#: A stored dermadelta.compare/1 result: one detectable rise, one change within the MDC,
#: one detectable fall, one metric that could not be measured.
RESULT = {
    "schema": "dermadelta.compare/1",
    "zones": {
        "face": {
            "redness": {"before": 10.0, "after": 12.5, "delta": 2.5, "mdc": 0.8, "change": "increased"},
            "texture": {"before": 4.0, "after": 3.9, "delta": -0.1, "mdc": 0.3, "change": "none"},
            "pores": {"before": None, "after": None, "delta": None, "mdc": None, "change": "not_measurable"},
        },
        "left_cheek": {"tone_ita": {"before": 30.0, "after": 26.0, "delta": -4.0, "mdc": 2.0, "change": "decreased"}},
    },
}


def url(patient: Patient) -> str:
    return reverse("patient_fhir", args=[patient.pk])


def export(patient: Patient, **options: Any) -> dict[str, Any]:
    """The collection export (resources keep their ids there), unless ``options`` say otherwise."""
    return patient_bundle(patient, now=NOW, base_url=ADDRESS, **({"kind": "collection"} | options))


def record_id(resource: dict[str, Any]) -> str:
    """The record's id: its own in a collection, its identifier's value in a transaction."""
    if "id" in resource:
        return str(resource["id"])
    if "identifier" not in resource:  # the CodeSystem: its canonical address
        return str(resource["url"])
    identifier = resource["identifier"]
    return str((identifier[0] if isinstance(identifier, list) else identifier)["value"])


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e.get("resource", {}).get("resourceType") == resource_type]


def references(value: Any) -> Iterator[str]:
    """Every ``reference`` anywhere in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def assert_references_resolve(bundle: dict[str, Any]) -> None:
    full_urls = [e["fullUrl"] for e in bundle["entry"] if "resource" in e]
    assert len(full_urls) == len(set(full_urls))
    found = list(references(bundle))
    assert found, "the bundle has no references at all"
    assert set(found) <= set(full_urls), set(found) - set(full_urls)


@pytest.fixture
def course(patient: Patient, alice: Any) -> dict[str, Any]:
    """Pat's consultation, a plan of three sessions, the first one charted, two photos and their comparison."""
    consultation = actions.record_consultation(
        patient, on=TODAY, zones=["left_cheek", "right_cheek", "forehead"], answers={"hsv_history": True}, by=alice
    )
    request = actions.PlanRequest(targets=("acne_scars_rolling:left_cheek,right_cheek",), start=TODAY, sessions=3)
    plan = actions.create_plan(patient, request, consultation=consultation, by=alice)
    session = actions.chart_session(
        patient, {"on": TODAY, "number": 1, "depths": {"left_cheek": 1.5, "right_cheek": 1.5}}, by=alice
    )
    before = stand_in_photo(patient, "a", TODAY, session=session)
    after = stand_in_photo(patient, "b", TODAY + dt.timedelta(days=60))
    comparison = Comparison.objects.create(
        patient=patient, before=before, after=after, status=JobStatus.DONE, result=RESULT, finished_at=NOW
    )
    return {"plan": plan, "session": session, "before": before, "after": after, "comparison": comparison}


def withdraw(patient: Patient, kind: ConsentKind, by: Any) -> None:
    consent = Consent.objects.get(patient=patient, kind=kind, withdrawn_at__isnull=True)
    actions.withdraw_consent(consent, by=by)


# --- the whole course, measured by the real worker ------------------------------------------------------


def test_it_exports_a_measured_course_as_a_valid_bundle(as_alice, patient, alice, face_pair, committed, run_worker):
    actions.grant_consent(patient, ConsentKind.MARKETING, by=alice)
    consultation = actions.record_consultation(patient, on=TODAY, zones=["forehead"], answers={}, by=alice)
    request = actions.PlanRequest(targets=("texture:forehead",), start=TODAY, sessions=3)
    plan = actions.create_plan(patient, request, consultation=consultation, by=alice)
    session = actions.chart_session(patient, {"on": TODAY, "number": 1, "depths": {"forehead": 0.25}}, by=alice)
    with committed():
        before = actions.upload_photos(patient, [("b.jpg", face_pair[0])], view=View.FRONT, session=session, by=alice)
    run_worker()
    with committed():
        after = actions.upload_photos(patient, [("a.jpg", face_pair[1])], view=View.FRONT, session=None, by=alice)
    with committed():  # the comparison is enqueued when the after photo's analysis commits
        run_worker()
    run_worker()
    comparison = Comparison.objects.get(patient=patient)
    assert comparison.status == JobStatus.DONE, comparison.failure
    before_photo, after_photo = before.saved[0], after.saved[0]
    assert (comparison.before_id, comparison.after_id) == (before_photo.pk, after_photo.pk)

    response = as_alice.get(url(patient))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert response["Content-Disposition"] == f'attachment; filename="patient-{patient.pk}-fhir.json"'
    bundle = json.loads(response.content)
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "transaction"
    measured = {
        (zone, metric): values
        for zone, metrics in comparison.result["zones"].items()
        for metric, values in metrics.items()
        if values["change"] != "not_measurable"
    }
    assert len(measured) > 10
    counts = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert counts == {
        "Patient": 1,
        "CodeSystem": 1,
        "Consent": 3,
        "QuestionnaireResponse": 1,
        "CarePlan": 1,
        "Procedure": 1,
        "DocumentReference": 2,
        "Observation": len(measured),
    }
    assert_references_resolve(bundle)
    photo_refs = {record_id(e["resource"]): e["fullUrl"] for e in bundle["entry"]}
    for observation in resources(bundle, "Observation"):
        zone = observation["bodySite"]["coding"][0]["code"]
        metric = observation["code"]["coding"][0]["code"]
        assert observation["code"]["coding"][0]["system"] == "urn:dermadelta:metric"
        assert observation["valueQuantity"]["value"] == pytest.approx(measured[(zone, metric)]["delta"])
        assert observation["interpretation"][0]["coding"][0]["code"] == measured[(zone, metric)]["change"]
        assert observation["effectiveDateTime"] == after_photo.day.isoformat()
        assert [r["reference"] for r in observation["derivedFrom"]] == [
            photo_refs[f"photo-{before_photo.pk}"],
            photo_refs[f"photo-{after_photo.pk}"],
        ]
    [care_plan] = resources(bundle, "CarePlan")
    assert record_id(care_plan) == f"plan-{plan.pk}" and care_plan["status"] == "active"
    assert [a["detail"]["status"] for a in care_plan["activity"]] == ["completed", "scheduled", "scheduled"]
    entry = AuditEntry.objects.filter(patient=patient, action=AuditAction.DOWNLOAD).latest("id")
    assert (entry.user, entry.detail) == (alice, "FHIR export")


# --- what each resource says ---------------------------------------------------------------------------------


def test_every_reference_resolves_to_an_entry_of_the_bundle(patient, course):
    bundle = export(patient)

    Bundle.model_validate(bundle)
    assert_references_resolve(bundle)
    assert bundle["timestamp"] == "2025-06-01T12:00:00Z"


def test_ids_and_full_urls_are_the_same_on_every_export(patient, course):
    first = export(patient)
    second = export(patient)

    assert first == second
    ids = [e["resource"]["id"] for e in first["entry"]]
    assert f"patient-{patient.pk}" in ids and f"photo-{course['before'].pk}" in ids
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in first["entry"])


def test_observations_carry_the_measured_change_its_unit_and_whether_it_is_detectable(patient, course):
    bundle = export(patient)
    observations = {o["id"]: o for o in resources(bundle, "Observation")}
    pk = course["comparison"].pk

    # The metric that could not be measured has no Observation.
    assert set(observations) == {
        f"comparison-{pk}-face-redness",
        f"comparison-{pk}-face-texture",
        f"comparison-{pk}-left-cheek-tone-ita",
    }
    redness = observations[f"comparison-{pk}-face-redness"]
    ucum = "http://unitsofmeasure.org"
    assert redness["valueQuantity"] == {"value": 2.5, "unit": "haemoglobin index", "system": ucum, "code": "1"}
    assert [c["code"] for c in redness["interpretation"][0]["coding"]] == ["increased", "U"]
    assert {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in redness["component"]} == {
        "before": 10.0,
        "after": 12.5,
        "mdc": 0.8,
    }
    assert all(c["valueQuantity"]["code"] == "1" for c in redness["component"])
    texture = observations[f"comparison-{pk}-face-texture"]
    assert [c["code"] for c in texture["interpretation"][0]["coding"]] == ["none"]
    ita = observations[f"comparison-{pk}-left-cheek-tone-ita"]
    assert ita["bodySite"]["coding"][0]["code"] == "left_cheek"
    assert ita["valueQuantity"] == {"value": -4.0, "unit": "degrees", "system": ucum, "code": "deg"}
    assert [c["code"] for c in ita["interpretation"][0]["coding"]] == ["decreased", "D"]
    assert {o["effectiveDateTime"] for o in observations.values()} == {"2025-05-02"}


def test_a_comparison_still_waiting_for_the_worker_gives_no_observation(patient, course):
    Comparison.objects.filter(pk=course["comparison"].pk).update(status=JobStatus.QUEUED)

    assert resources(export(patient), "Observation") == []


def test_a_photo_is_referenced_through_the_page_that_checks_who_asks(patient, course):
    bundle = export(patient, photos="url")
    documents = {d["id"]: d for d in resources(bundle, "DocumentReference")}
    before = course["before"]

    attachment = documents[f"photo-{before.pk}"]["content"][0]["attachment"]
    assert attachment["contentType"] == "image/jpeg"
    assert attachment["url"] == f"{ADDRESS}/photos/{before.pk}/image/"
    assert "data" not in attachment
    text = json.dumps(bundle)
    for photo in (course["before"], course["after"]):
        assert photo.original.name not in text and photo.display.name not in text
    # The before photo was taken at session 1: its document points at that Procedure.
    session_url = next(
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["id"] == f"session-{course['session'].pk}"
    )
    assert documents[f"photo-{before.pk}"]["context"]["related"][0]["reference"] == session_url


def test_consents_are_active_until_withdrawn_with_scope_and_kind(patient, alice, course):
    actions.grant_consent(patient, ConsentKind.MARKETING, by=alice)
    withdraw(patient, ConsentKind.TREATMENT, alice)

    consents = resources(export(patient), "Consent")

    by_kind = {c["category"][0]["coding"][1]["code"]: c for c in consents}
    assert set(by_kind) == {"treatment", "photography", "marketing"}
    assert by_kind["treatment"]["status"] == "inactive"
    assert "end" in by_kind["treatment"]["provision"]["period"]
    assert by_kind["photography"]["status"] == by_kind["marketing"]["status"] == "active"
    assert by_kind["treatment"]["scope"]["coding"][0]["code"] == "treatment"
    assert by_kind["marketing"]["scope"]["coding"][0]["code"] == "patient-privacy"
    assert all(
        c["category"][0]["coding"][0] == {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
        for c in consents
    )


def test_the_plan_lists_its_sessions_and_links_the_charted_one(patient, course):
    bundle = export(patient)
    [care_plan] = resources(bundle, "CarePlan")
    [procedure] = resources(bundle, "Procedure")
    session = course["session"]

    dates = [a["detail"]["scheduledPeriod"]["start"] for a in care_plan["activity"]]
    assert dates == [d.isoformat() for d in course["plan"].session_dates()]
    first = care_plan["activity"][0]
    assert first["detail"]["status"] == "completed"
    procedure_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["id"] == f"session-{session.pk}")
    assert first["outcomeReference"][0]["reference"] == procedure_url
    assert procedure["performedDateTime"] == "2025-03-03"
    assert [b["coding"][0]["code"] for b in procedure["bodySite"]] == ["left_cheek", "right_cheek"]
    assert "1.5 mm" in procedure["note"][0]["text"]
    assert procedure["performer"][0]["actor"]["display"] == "Alice Adams"


def test_a_replaced_plan_is_revoked_and_a_finished_one_completed(patient, alice, course):
    consultation = Consultation.objects.get(patient=patient)
    request = actions.PlanRequest(targets=("acne_scars_rolling:left_cheek",), start=TODAY, sessions=3)
    newer = actions.create_plan(patient, request, consultation=consultation, by=alice)
    old = course["plan"]

    statuses = {p["id"]: p["status"] for p in resources(export(patient), "CarePlan")}
    assert statuses == {f"plan-{old.pk}": "revoked", f"plan-{newer.pk}": "active"}

    for number in (2, 3):
        TreatmentSession.objects.create(patient=patient, plan=old, number=number, on=TODAY, depths={"chin": 1.0})
    statuses = {p["id"]: p["status"] for p in resources(export(patient), "CarePlan")}
    assert statuses[f"plan-{old.pk}"] == "completed"


def test_the_intake_answers_are_the_questionnaire_response_of_the_patient(patient, course):
    bundle = export(patient)
    [response] = resources(bundle, "QuestionnaireResponse")

    assert response["questionnaire"] == "urn:dermadelta:questionnaire:microneedling-intake"
    assert response["subject"]["reference"] == bundle["entry"][0]["fullUrl"]
    answers = {item["linkId"]: item.get("answer") for item in response["item"]}
    assert answers["hsv_history"] == [{"valueBoolean": True}]


# --- photos that must not leave the clinic ----------------------------------------------------------------


def test_a_withdrawn_marketing_consent_leaves_every_photo_out(patient, alice, course):
    actions.grant_consent(patient, ConsentKind.MARKETING, by=alice)
    withdraw(patient, ConsentKind.MARKETING, alice)

    bundle = export(patient)

    assert resources(bundle, "DocumentReference") == []
    observations = resources(bundle, "Observation")
    assert len(observations) == 3  # the numbers stay; the photos they came from do not
    assert all("derivedFrom" not in o for o in observations)
    assert "/photos/" not in json.dumps(bundle)
    assert_references_resolve(bundle)


def test_a_marketing_consent_given_again_lets_the_photos_out_again(patient, alice, course):
    actions.grant_consent(patient, ConsentKind.MARKETING, by=alice)
    withdraw(patient, ConsentKind.MARKETING, alice)
    actions.grant_consent(patient, ConsentKind.MARKETING, by=alice)

    assert len(resources(export(patient), "DocumentReference")) == 2


def test_a_withdrawn_photography_consent_leaves_every_photo_out(patient, alice, course):
    withdraw(patient, ConsentKind.PHOTOGRAPHY, alice)

    bundle = export(patient)

    assert resources(bundle, "DocumentReference") == []
    assert all("derivedFrom" not in o for o in resources(bundle, "Observation"))


def test_photos_are_exported_when_marketing_consent_was_never_asked(patient, course):
    documents = resources(export(patient), "DocumentReference")

    assert {d["id"] for d in documents} == {f"photo-{course['before'].pk}", f"photo-{course['after'].pk}"}


# --- records that cannot be exported -------------------------------------------------------------------------


def test_an_intake_the_rule_book_cannot_read_stops_the_export_with_the_reason(as_alice, patient, course):
    Consultation.objects.filter(patient=patient).update(answers={"age": "old"})

    with pytest.raises(FhirExportError, match="QuestionnaireResponse/consultation-"):
        export(patient)
    response = as_alice.get(url(patient))
    assert response.status_code == 409
    assert "cannot be exported" in response.content.decode()


def test_an_invalid_resource_is_refused_with_its_name_and_the_missing_field():
    with pytest.raises(FhirExportError, match=r"Observation/x is not valid FHIR R4: .*status"):
        validated({"resourceType": "Observation", "id": "x", "code": {"text": "redness"}})
    with pytest.raises(FhirExportError, match="no such FHIR R4 resource type"):
        validated({"resourceType": "Skin", "id": "x"})


def test_a_patient_with_nothing_recorded_is_a_bundle_of_the_patient_alone(quinn):
    bundle = export(quinn)

    Bundle.model_validate(bundle)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient", "CodeSystem"]
    assert bundle["entry"][0]["resource"]["name"][0]["family"] == "Fox"


# --- who may download it --------------------------------------------------------------------------------------


def test_it_answers_404_to_staff_of_another_clinic_and_writes_nothing(as_charlie, patient, course):
    before = AuditEntry.objects.exclude(action=AuditAction.REFUSED).count()

    assert as_charlie.get(url(patient)).status_code == 404
    assert as_charlie.get(reverse("patient_fhir", args=[999999])).status_code == 404
    assert AuditEntry.objects.exclude(action=AuditAction.REFUSED).count() == before


def test_it_is_closed_to_patients_even_their_own(as_pat, as_quinn, patient, course):
    assert as_pat.get(url(patient)).status_code == 403
    assert as_quinn.get(url(patient)).status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client, patient):
    response = client.get(url(patient))

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_colleague_may_download_it_and_is_audited(as_bob, bob, patient, course):
    response = as_bob.get(url(patient))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    entry = AuditEntry.objects.filter(patient=patient).latest("id")
    assert (entry.user, entry.action, entry.detail) == (bob, AuditAction.DOWNLOAD, "FHIR export")
    assert timezone.now() - entry.at < dt.timedelta(minutes=1)


# --- a transaction a server imports --------------------------------------------------------------------------


def test_a_transaction_creates_the_patient_once_and_updates_every_record_by_its_identifier(patient, course):
    bundle = export(patient, kind="transaction")

    Bundle.model_validate(bundle)
    assert bundle["type"] == "transaction"
    assert_references_resolve(bundle)
    requests = {e["resource"]["resourceType"]: e["request"] for e in bundle["entry"]}
    assert requests["Patient"] == {
        "method": "POST",
        "url": "Patient",
        "ifNoneExist": f"identifier={ADDRESS}/fhir/sid/patient|{patient.pk}",
    }
    assert requests["CodeSystem"] == {
        "method": "POST",
        "url": "CodeSystem",
        "ifNoneExist": "url=urn:dermadelta:metric&version=1",
    }
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert "id" not in resource  # the server names what it creates
        if resource["resourceType"] in ("Patient", "CodeSystem"):
            continue
        assert entry["request"] == {
            "method": "PUT",
            "url": f"{resource['resourceType']}?identifier={ADDRESS}/fhir/sid/record|{record_id(resource)}",
        }
    [patient_resource] = resources(bundle, "Patient")
    assert patient_resource["identifier"] == [
        {"use": "usual", "system": f"{ADDRESS}/fhir/sid/patient", "value": str(patient.pk)}
    ]
    # QuestionnaireResponse has a single identifier in R4.
    [answers] = resources(bundle, "QuestionnaireResponse")
    assert answers["identifier"]["value"].startswith("consultation-")


def test_a_transaction_deletes_photos_sent_before_once_they_may_no_longer_leave(patient, alice, course):
    actions.grant_consent(patient, ConsentKind.MARKETING, by=alice)
    withdraw(patient, ConsentKind.MARKETING, alice)

    bundle = export(patient, kind="transaction")

    deletes = [e["request"] for e in bundle["entry"] if "resource" not in e]
    assert deletes == [
        {"method": "DELETE", "url": f"DocumentReference?identifier={ADDRESS}/fhir/sid/record|photo-{photo.pk}"}
        for photo in (course["before"], course["after"])
    ]
    assert resources(bundle, "DocumentReference") == []
    assert all("derivedFrom" not in o for o in resources(bundle, "Observation"))


def test_a_collection_has_no_requests_and_deletes_nothing(patient, alice, course):
    withdraw(patient, ConsentKind.PHOTOGRAPHY, alice)

    bundle = export(patient)

    assert bundle["type"] == "collection"
    assert all(set(e) == {"fullUrl", "resource"} for e in bundle["entry"])


def test_photos_travel_inside_the_file_by_default_with_their_size_and_hash(patient, course):
    bundle = export(patient, kind="transaction")
    documents = {record_id(d): d for d in resources(bundle, "DocumentReference")}
    before = course["before"]
    with before.display.open("rb") as handle:
        expected = handle.read()

    attachment = documents[f"photo-{before.pk}"]["content"][0]["attachment"]

    assert "url" not in attachment
    assert base64.b64decode(attachment["data"]) == expected
    assert attachment["size"] == len(expected)
    assert base64.b64decode(attachment["hash"]) == hashlib.sha1(expected).digest()
    assert before.original.name not in json.dumps(bundle)


def test_a_photo_whose_file_is_gone_stops_the_export_with_its_name(patient, course):
    course["before"].display.delete(save=False)

    with pytest.raises(FhirExportError, match=f"DocumentReference/photo-{course['before'].pk}: the photo's file"):
        export(patient)
    # Sent as an address, the photo's file is not needed to make the export.
    assert len(resources(export(patient, photos="url"), "DocumentReference")) == 2


def test_every_quantity_is_in_ucum_and_every_metric_code_is_in_the_published_code_system(patient, course):
    bundle = export(patient)
    [code_system] = resources(bundle, "CodeSystem")
    codes = {c["code"] for c in code_system["concept"]}

    assert code_system["url"] == "urn:dermadelta:metric" and code_system["content"] == "complete"
    assert codes == set(METRICS) and code_system["count"] == len(METRICS)
    assert set(UCUM_CODES) == set(METRICS)
    for observation in resources(bundle, "Observation"):
        [coding] = observation["code"]["coding"]
        assert coding["system"] == code_system["url"] and coding["code"] in codes
        for value in [observation["valueQuantity"], *(c["valueQuantity"] for c in observation["component"])]:
            assert value["system"] == "http://unitsofmeasure.org"
            assert value["code"] == UCUM_CODES[coding["code"]] and value["unit"] == METRICS[coding["code"]].unit


def test_the_answers_are_authored_on_the_consultation_day_not_when_typed_in(patient, course):
    Consultation.objects.filter(patient=patient).update(created_at=NOW)

    [answers] = resources(export(patient), "QuestionnaireResponse")

    assert answers["authored"] == TODAY.isoformat()


def test_an_unknown_photo_mode_kind_or_address_is_refused_in_plain_words(patient, course):
    with pytest.raises(FhirExportError, match="'inline' is not a way to send photos: use embed .* or url"):
        export(patient, photos="inline")
    with pytest.raises(FhirExportError, match="'batch' is not a kind of export: use transaction or collection"):
        export(patient, kind="batch")
    for address in ("clinic.example", "ftp://clinic.example", ""):
        with pytest.raises(FhirExportError, match="is not the clinic's web address"):
            patient_bundle(patient, now=NOW, base_url=address)


def test_the_page_gives_a_transaction_by_default_and_a_collection_when_asked(as_alice, patient, course, settings):
    settings.FHIR_PHOTOS = "url"

    transaction = as_alice.get(url(patient))
    collection = as_alice.get(url(patient), {"type": "collection"})
    wrong = as_alice.get(url(patient), {"type": "batch"})

    assert json.loads(transaction.content)["type"] == "transaction"
    body = json.loads(collection.content)
    assert body["type"] == "collection"
    assert collection["Content-Disposition"] == f'attachment; filename="patient-{patient.pk}-fhir-collection.json"'
    # The photos' addresses are the clinic's own, as the request reached it.
    [document, *_] = resources(body, "DocumentReference")
    assert document["content"][0]["attachment"]["url"].startswith("http://testserver/photos/")
    assert wrong.status_code == 400
    assert "not a kind of export" in wrong.content.decode()


def test_the_clinic_refuses_to_start_with_an_unknown_photo_mode(tmp_path):
    environment = {**os.environ, "DERMADELTA_FHIR_PHOTOS": "inline", "DERMADELTA_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", "from dermadelta.clinic import settings"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode != 0
    assert "ImproperlyConfigured: DERMADELTA_FHIR_PHOTOS='inline' is not a way to send photos" in done.stderr
