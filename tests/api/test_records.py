"""Consents, screening, plans and sessions through the API: the actions' rules and their words, audited."""

from __future__ import annotations

from typing import Any

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records.choices import ConsentKind
from dermadelta.clinic.records.models import Consent, Consultation, TreatmentPlan, TreatmentSession
from tests.api.conftest import BASE, error_of
from tests.clinic.test_plans import CLEAR, ZONES, today


def post(client: Any, path: str, body: Any = None) -> Any:
    if body is None:
        return client.post(f"{BASE}{path}")
    return client.post(f"{BASE}{path}", body, content_type="application/json")


def audited(action: AuditAction, object_type: str, username: str = "alice") -> AuditEntry:
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_type, entry.username) == (action, object_type, username)
    return entry


# --- consents -----------------------------------------------------------------------------------------------


def test_it_grants_lists_and_withdraws_a_consent(api_alice, patient):
    granted = post(api_alice, f"/patients/{patient.pk}/consents", {"kind": "marketing", "note": "signed form"})
    assert granted.status_code == 201 and granted.json()["active"] is True
    audited(AuditAction.CREATE, "consent")

    withdrawn = post(api_alice, f"/consents/{granted.json()['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None
    audited(AuditAction.WITHDRAW, "consent")

    listing = api_alice.get(f"{BASE}/patients/{patient.pk}/consents").json()
    assert listing["count"] == 3 and {c["kind"] for c in listing["items"]} == {"treatment", "photography", "marketing"}
    assert not patient.has_consent(ConsentKind.MARKETING)
    assert audited(AuditAction.VIEW, "patient").detail == "consents"


def test_it_refuses_a_consent_twice_and_a_withdrawal_twice_with_the_actions_words(api_alice, patient):
    error = error_of(post(api_alice, f"/patients/{patient.pk}/consents", {"kind": "treatment"}), 400, "validation")
    assert error["message"] == "Treatment consent is already recorded."

    consent = Consent.objects.get(patient=patient, kind=ConsentKind.PHOTOGRAPHY)
    post(api_alice, f"/consents/{consent.pk}/withdraw")
    error = error_of(post(api_alice, f"/consents/{consent.pk}/withdraw"), 400, "validation")
    assert error["message"] == "This consent was already withdrawn."
    assert Consent.objects.filter(patient=patient).count() == 2


def test_it_refuses_an_unknown_kind_of_consent(api_alice, patient):
    error = error_of(post(api_alice, f"/patients/{patient.pk}/consents", {"kind": "everything"}), 422, "validation")
    assert error["details"][0]["field"] == "body.kind"


# --- screening -----------------------------------------------------------------------------------------------


def test_it_screens_a_consultation_and_gives_the_verdict_with_reasons(api_alice, patient):
    answers = {**CLEAR, "hsv_history": True}

    response = post(api_alice, f"/patients/{patient.pk}/consultations", {"zones": ZONES, "answers": answers})

    assert response.status_code == 201
    body = response.json()
    assert body["verdict"] == "caution" and body["on"] == today().isoformat()
    assert body["reasons"] and any("cold sore" in r.lower() or "hsv" in r.lower() for r in body["reasons"])
    assert body["findings"][0]["outcome"] == "caution"
    audited(AuditAction.CREATE, "consultation")
    read = api_alice.get(f"{BASE}/consultations/{body['id']}")
    assert read.json() == body
    audited(AuditAction.VIEW, "consultation")
    assert api_alice.get(f"{BASE}/patients/{patient.pk}/consultations").json()["count"] == 1


def test_it_refuses_answers_the_screening_cannot_read(api_alice, patient):
    for answers, words in [({"age": 300}, "age"), ({"no_such_question": True}, "no_such_question")]:
        body = {"zones": ZONES, "answers": answers}
        error = error_of(post(api_alice, f"/patients/{patient.pk}/consultations", body), 400, "validation")
        assert words in error["message"]
    error = error_of(
        post(api_alice, f"/patients/{patient.pk}/consultations", {"zones": ["elbow"], "answers": {}}), 400, "validation"
    )
    assert "elbow" in error["message"]
    assert not Consultation.objects.exists()


# --- plans ---------------------------------------------------------------------------------------------------

ACNE = {"targets": ["acne_scars_rolling:left_cheek,right_cheek"], "start": today().isoformat()}


def test_it_makes_a_plan_from_the_latest_consultation(api_alice, patient):
    post(api_alice, f"/patients/{patient.pk}/consultations", {"zones": ZONES, "answers": CLEAR})

    response = post(api_alice, f"/patients/{patient.pk}/plans", ACNE)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["active"] is True and body["plan"]["sessions"] and body["consultation_id"]
    audited(AuditAction.CREATE, "treatmentplan")
    assert api_alice.get(f"{BASE}/plans/{body['id']}").json()["plan"] == body["plan"]
    assert api_alice.get(f"{BASE}/patients/{patient.pk}/plans").json()["count"] == 1


def test_it_refuses_a_plan_without_consultation_over_a_cap_or_unscreened(api_alice, patient):
    error = error_of(post(api_alice, f"/patients/{patient.pk}/plans", ACNE), 400, "validation")
    assert "consultation" in error["message"].lower()

    post(api_alice, f"/patients/{patient.pk}/consultations", {"zones": ZONES, "answers": CLEAR})
    deep = {**ACNE, "depth_mm": {"left_cheek": 9.0}}
    error = error_of(post(api_alice, f"/patients/{patient.pk}/plans", deep), 400, "validation")
    assert "9" in error["message"]
    chin = {**ACNE, "targets": ["acne_scars_rolling:chin"]}
    error = error_of(post(api_alice, f"/patients/{patient.pk}/plans", chin), 400, "validation")
    assert "Not screened" in error["message"]
    assert not TreatmentPlan.objects.exists()


def test_it_refuses_a_plan_without_treatment_consent(api_alice, patient):
    post(api_alice, f"/patients/{patient.pk}/consultations", {"zones": ZONES, "answers": CLEAR})
    Consent.objects.filter(patient=patient, kind=ConsentKind.TREATMENT).delete()

    error = error_of(post(api_alice, f"/patients/{patient.pk}/plans", ACNE), 400, "validation")

    assert "treatment consent" in error["message"]


# --- sessions ---------------------------------------------------------------------------------------------


def chart(**changes: Any) -> dict[str, Any]:
    return {"on": today().isoformat(), "number": 1, "depths": {"forehead": 0.25}, **changes}


def test_it_charts_a_session_and_reads_it_back(api_alice, patient, alice):
    response = post(api_alice, f"/patients/{patient.pk}/sessions", chart(products="hyaluronic serum"))

    assert response.status_code == 201, response.content
    session = TreatmentSession.objects.get(pk=response.json()["id"])
    assert session.practitioner == alice and session.products == "hyaluronic serum"
    audited(AuditAction.CREATE, "treatmentsession")
    assert api_alice.get(f"{BASE}/sessions/{session.pk}").json()["depths"] == {"forehead": 0.25}
    assert api_alice.get(f"{BASE}/patients/{patient.pk}/sessions").json()["count"] == 1


def test_it_refuses_depths_over_the_caps_and_a_number_twice_with_the_models_words(api_alice, patient):
    error = error_of(
        post(api_alice, f"/patients/{patient.pk}/sessions", chart(depths={"forehead": 3.0})), 400, "validation"
    )
    assert error["details"][0]["field"] == "depths" and "cap" in error["message"]
    for depth in (True, "0.5", -1, None):
        response = post(api_alice, f"/patients/{patient.pk}/sessions", chart(depths={"forehead": depth}))
        error_of(response, 400, "validation")

    assert post(api_alice, f"/patients/{patient.pk}/sessions", chart()).status_code == 201
    error = error_of(post(api_alice, f"/patients/{patient.pk}/sessions", chart()), 400, "validation")
    assert "already has a session with this number" in error["message"]
    assert TreatmentSession.objects.count() == 1
