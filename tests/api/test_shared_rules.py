"""Rules the web pages always applied hold through the API too: they live in the models and the actions.

A session's date (not in the future in the clinic, not before the patient's
birth) and its bounds are ``TreatmentSession``'s; a plan's start and the refusal
to plan after a referral or an open-ended deferral are ``actions.create_plan``'s;
tidy names are ``Patient.clean()``'s. Each answer carries the words the pages show.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.models import (
    MAX_NUMBING_MINUTES,
    MAX_PASSES,
    MAX_SESSION_NUMBER,
    Patient,
    TreatmentPlan,
    TreatmentSession,
)
from dermadelta.clinic.records.patient_actions import update_patient
from dermadelta.clinic.records.schedule import clinic_today
from tests.api.conftest import BASE, error_of
from tests.clinic.test_plans import CLEAR, ZONES

FUTURE = "The session date cannot be in the future: chart a session once it is done."
BEFORE_BIRTH = "The session date is before the patient's date of birth."
REFERRED = "referred the patient to a physician"
DEFERRED = "deferred treatment without a date"
BEFORE_CONSULTATION = "The plan cannot start before the consultation that screened it."
TOO_FAR = "Plan at most a year ahead; make the plan nearer the time."


def post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{BASE}{path}", body, content_type="application/json")


def fields_of(error: dict[str, Any]) -> list[str | None]:
    return [detail["field"] for detail in error["details"]]


# --- sessions ------------------------------------------------------------------------------------------


def chart(day: dt.date, **changes: Any) -> dict[str, Any]:
    return {"on": day.isoformat(), "number": 1, "depths": {"forehead": 0.25}, **changes}


def test_it_refuses_a_session_dated_in_the_future_with_the_pages_words(api_alice, patient):
    tomorrow = clinic_today(patient.clinic) + dt.timedelta(days=1)

    error = error_of(post(api_alice, f"/patients/{patient.pk}/sessions", chart(tomorrow)), 400, "validation")

    assert error["message"] == FUTURE and fields_of(error) == ["on"]
    assert not TreatmentSession.objects.exists()


def test_it_charts_a_session_dated_today_in_the_clinic(api_alice, patient):
    response = post(api_alice, f"/patients/{patient.pk}/sessions", chart(clinic_today(patient.clinic)))

    assert response.status_code == 201, response.content


def test_it_refuses_a_session_before_the_patients_birth(api_alice, patient):
    born = patient.date_of_birth

    error = error_of(
        post(api_alice, f"/patients/{patient.pk}/sessions", chart(born - dt.timedelta(days=1))), 400, "validation"
    )

    assert error["message"] == BEFORE_BIRTH and fields_of(error) == ["on"]


def test_it_reports_the_date_and_the_depths_together(api_alice, patient):
    tomorrow = clinic_today(patient.clinic) + dt.timedelta(days=1)

    body = chart(tomorrow, depths={"forehead": 3.0})
    error = error_of(post(api_alice, f"/patients/{patient.pk}/sessions", body), 400, "validation")

    assert set(fields_of(error)) == {"on", "depths"}


def test_today_is_the_clinics_today_not_the_servers(patient, alice):
    # Kiritimati (UTC+14) is always a day or two ahead of Pago Pago (UTC-11), whatever the hour.
    patient.clinic.time_zone = "Pacific/Pago_Pago"
    patient.clinic.save()
    kiritimati_today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=14))).date()

    with pytest.raises(ValidationError) as refused:
        actions.chart_session(patient, chart(kiritimati_today), by=alice)
    assert refused.value.message_dict == {"on": [FUTURE]}

    patient.clinic.time_zone = "Pacific/Kiritimati"
    patient.clinic.save()
    assert actions.chart_session(patient, chart(kiritimati_today), by=alice).on == kiritimati_today


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", 0),
        ("number", MAX_SESSION_NUMBER + 1),
        ("passes", 0),
        ("passes", MAX_PASSES + 1),
        ("numbing_minutes", MAX_NUMBING_MINUTES + 1),
    ],
)
def test_the_model_bounds_a_sessions_numbers_for_every_caller(patient, alice, field, value):
    fields = {**chart(clinic_today(patient.clinic)), field: value}

    with pytest.raises(ValidationError) as refused:
        actions.chart_session(patient, fields, by=alice)

    assert list(refused.value.message_dict) == [field]
    assert not TreatmentSession.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("number", MAX_SESSION_NUMBER + 1), ("passes", MAX_PASSES + 1), ("numbing_minutes", MAX_NUMBING_MINUTES + 1)],
)
def test_the_api_refuses_the_same_bounds(api_alice, patient, field, value):
    body = chart(clinic_today(patient.clinic), **{field: value})

    error = error_of(post(api_alice, f"/patients/{patient.pk}/sessions", body), 422, "validation")

    assert fields_of(error) == [f"body.{field}"]


# --- plans ---------------------------------------------------------------------------------------------


def consult(client: Any, patient: Patient, **answers: Any) -> dict[str, Any]:
    response = post(client, f"/patients/{patient.pk}/consultations", {"zones": ZONES, "answers": {**CLEAR, **answers}})
    assert response.status_code == 201, response.content
    return response.json()


def plan_body(start: dt.date) -> dict[str, Any]:
    return {"targets": ["acne_scars_rolling:left_cheek,right_cheek"], "start": start.isoformat()}


def test_it_refuses_to_plan_after_a_referral_with_the_pages_words(api_alice, patient):
    assert consult(api_alice, patient, keloid_history=True)["verdict"] == "refer"

    body = plan_body(clinic_today(patient.clinic))
    error = error_of(post(api_alice, f"/patients/{patient.pk}/plans", body), 400, "validation")

    assert REFERRED in error["message"] and "Record a new consultation" in error["message"]
    assert not TreatmentPlan.objects.exists()


def test_it_refuses_to_plan_after_a_deferral_without_a_date(api_alice, patient):
    consultation = consult(api_alice, patient, pregnant_or_breastfeeding=True)
    assert (consultation["verdict"], consultation["eligible_from"]) == ("defer", None)

    body = plan_body(clinic_today(patient.clinic))
    error = error_of(post(api_alice, f"/patients/{patient.pk}/plans", body), 400, "validation")

    assert DEFERRED in error["message"]
    assert not TreatmentPlan.objects.exists()


def test_it_refuses_a_plan_starting_before_its_consultation(api_alice, patient):
    consultation = consult(api_alice, patient)
    before = dt.date.fromisoformat(consultation["on"]) - dt.timedelta(days=1)

    error = error_of(post(api_alice, f"/patients/{patient.pk}/plans", plan_body(before)), 400, "validation")

    assert error["message"] == BEFORE_CONSULTATION and fields_of(error) == ["start"]
    assert not TreatmentPlan.objects.exists()


def test_it_refuses_a_plan_starting_more_than_a_year_ahead(api_alice, patient):
    consult(api_alice, patient)
    today = clinic_today(patient.clinic)

    too_far = plan_body(today + dt.timedelta(days=366))
    error = error_of(post(api_alice, f"/patients/{patient.pk}/plans", too_far), 400, "validation")
    assert error["message"] == TOO_FAR and fields_of(error) == ["start"]

    in_a_year = post(api_alice, f"/patients/{patient.pk}/plans", plan_body(today + dt.timedelta(days=365)))
    assert in_a_year.status_code == 201, in_a_year.content


# --- patients -------------------------------------------------------------------------------------------


def test_it_trims_a_new_patients_names_and_collapses_inner_whitespace(api_alice):
    details = {"first_name": "  Mary \t Ann ", "last_name": " van   der  Berg\n", "date_of_birth": "1990-05-06"}

    response = post(api_alice, "/patients", details)

    assert response.status_code == 201, response.content
    assert (response.json()["first_name"], response.json()["last_name"]) == ("Mary Ann", "van der Berg")
    patient = Patient.objects.get(pk=response.json()["id"])
    assert (patient.first_name, patient.last_name) == ("Mary Ann", "van der Berg")


def test_it_refuses_a_name_of_whitespace_only_with_the_pages_words(api_alice):
    details = {"first_name": "Robin", "last_name": " \t ", "date_of_birth": "1990-05-06"}

    error = error_of(post(api_alice, "/patients", details), 400, "validation")

    assert error["details"] == [{"field": "last_name", "message": "This field is required."}]
    assert not Patient.objects.exists()


def test_an_update_that_only_respaces_a_name_changes_nothing(patient, alice):
    update_patient(patient, {"first_name": " Pat ", "last_name": "Doe  "}, by=alice)

    patient.refresh_from_db()
    assert (patient.first_name, patient.last_name) == ("Pat", "Doe")
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE).exists()

    update_patient(patient, {"last_name": "Doe   Smith"}, by=alice)

    patient.refresh_from_db()
    assert patient.last_name == "Doe Smith"
    assert AuditEntry.objects.get(action=AuditAction.UPDATE).detail == "last_name"
