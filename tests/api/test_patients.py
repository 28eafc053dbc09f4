"""Patients through the API: pages of the clinic's list with search and date filters, a new patient, one patient."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records.models import Patient
from tests.api.conftest import BASE, error_of

PATIENTS = f"{BASE}/patients"


@pytest.fixture
def many(riverside: Any, harbour: Any, alice: Any) -> list[Patient]:
    """25 Riverside patients Client 00..24, created at noon UTC from 1 January 2025 a day apart; one at Harbour."""
    rows = []
    start = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)
    for n in range(25):
        patient = Patient.objects.create(
            clinic=riverside, first_name="Client", last_name=f"{n:02d}", date_of_birth=dt.date(1980, 1, 1)
        )
        Patient.objects.filter(pk=patient.pk).update(created_at=start + dt.timedelta(days=n))
        rows.append(patient)
    Patient.objects.create(clinic=harbour, first_name="Client", last_name="Harbour", date_of_birth=dt.date(1980, 1, 1))
    return rows


def test_it_pages_the_clinics_patients_with_the_total_count(api_alice, many):
    first = api_alice.get(PATIENTS).json()
    second = api_alice.get(PATIENTS, {"limit": 10, "offset": 20}).json()
    beyond = api_alice.get(PATIENTS, {"offset": 500}).json()

    assert first["count"] == 25 and len(first["items"]) == 20  # the default limit
    assert [p["last_name"] for p in first["items"]][:3] == ["00", "01", "02"]
    assert second["count"] == 25 and [p["last_name"] for p in second["items"]] == ["20", "21", "22", "23", "24"]
    assert beyond == {"count": 25, "items": []}
    assert all(p["last_name"] != "Harbour" for p in first["items"] + second["items"])


@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": 101}, {"limit": -1}, {"offset": -1}, {"limit": "ten"}, {"offset": 10**20}],
)
def test_it_refuses_limits_out_of_range(api_alice, many, query):
    error = error_of(api_alice.get(PATIENTS, query), 422, "validation")
    assert error["details"][0]["field"] in ("query.limit", "query.offset")


def test_it_searches_words_of_the_name_and_audits_the_search(api_alice, many, patient):
    response = api_alice.get(PATIENTS, {"q": "  pat   DOE "})

    assert response.json()["count"] == 1 and response.json()["items"][0]["id"] == patient.pk
    entry = AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="clinic").latest("id")
    assert entry.detail == "patient list (search: pat DOE)" and entry.username == "alice"
    assert api_alice.get(PATIENTS, {"q": "client 07"}).json()["count"] == 1
    assert api_alice.get(PATIENTS, {"q": "nobody"}).json() == {"count": 0, "items": []}


def after(client: Any, moment: str) -> set[str]:
    body = client.get(PATIENTS, {"created_after": moment, "limit": 100}).json()
    assert body["count"] == len(body["items"])
    return {p["last_name"] for p in body["items"]}


def test_it_filters_patients_created_after_a_moment(api_alice, many):
    assert after(api_alice, "2025-01-11T12:00:00+00:00") == {f"{n:02d}" for n in range(11, 25)}  # strictly after
    assert after(api_alice, "2025-01-11") == {f"{n:02d}" for n in range(10, 25)}  # from midnight
    assert after(api_alice, "2025-01-11T06:00:00-07:00") == {f"{n:02d}" for n in range(11, 25)}  # 13:00 UTC
    assert after(api_alice, "2030-01-01") == set()
    error_of(api_alice.get(PATIENTS, {"created_after": "yesterday"}), 422, "validation")


@pytest.mark.parametrize(
    "moment", ["0037-12-31T16:42:10+23:52", "0001-01-01T00:00:00+23:59", "9999-12-31T23:00:00-23:00"]
)
def test_a_moment_outside_our_era_is_refused_not_a_server_error(api_alice, moment):
    # PostgreSQL refused the first with "time zone displacement out of range"; the others overflow in UTC.
    error_of(api_alice.get(PATIENTS, {"created_after": moment}), 422, "validation")


def test_a_far_offset_is_read_in_utc(api_alice, many):
    assert after(api_alice, "2025-01-12T11:52:00+23:52") == {f"{n:02d}" for n in range(11, 25)}  # 12:00 UTC on the 11th


def test_a_moment_without_an_offset_is_the_clinics_time(api_charlie, harbour):
    """Harbour is in New York: 07:30 there on 11 January is 12:30 UTC."""
    for n in (0, 1):
        patient = Patient.objects.create(
            clinic=harbour, first_name="H", last_name=f"{n}", date_of_birth=dt.date(1980, 1, 1)
        )
        Patient.objects.filter(pk=patient.pk).update(created_at=dt.datetime(2025, 1, 11, 12 + n, tzinfo=dt.UTC))

    assert after(api_charlie, "2025-01-11T07:30:00") == {"1"}
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE  # the clinic's zone was for that request only


def test_it_creates_a_patient_in_the_callers_clinic_with_an_audit_entry(api_alice, alice, riverside):
    response = api_alice.post(
        PATIENTS,
        {"first_name": "Robin", "last_name": "Ng", "date_of_birth": "1990-05-06", "fitzpatrick": 4},
        content_type="application/json",
    )

    assert response.status_code == 201
    patient = Patient.objects.get(pk=response.json()["id"])
    assert (patient.clinic, patient.created_by, patient.fitzpatrick) == (riverside, alice, 4)
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="patient", patient=patient).exists()
    assert response.json()["active_consents"] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth"),
        ({"fitzpatrick": 9}, "fitzpatrick"),
        ({"email": "not an email"}, "email"),
        ({"first_name": ""}, "first_name"),
        ({"last_name": "x" * 101}, "last_name"),
    ],
)
def test_it_refuses_a_patient_the_model_refuses_and_says_which_field(api_alice, changes, field):
    details = {"first_name": "Robin", "last_name": "Ng", "date_of_birth": "1990-05-06", **changes}

    error = error_of(api_alice.post(PATIENTS, details, content_type="application/json"), 400, "validation")

    assert [d["field"] for d in error["details"]] == [field]
    assert not Patient.objects.exists()


def test_it_reads_one_patient_with_an_audit_entry(api_bob, patient):
    response = api_bob.get(f"{PATIENTS}/{patient.pk}")

    assert response.status_code == 200
    assert response.json()["last_name"] == "Doe" and response.json()["active_consents"] == ["photography", "treatment"]
    entry = AuditEntry.objects.latest("id")
    assert (entry.username, entry.action, entry.patient_id) == ("bob", AuditAction.VIEW, patient.pk)


def test_a_missing_patient_and_another_clinics_patient_get_the_same_answer(api_charlie, patient, harbour):
    missing = api_charlie.get(f"{PATIENTS}/{patient.pk + 1000}")
    foreign = api_charlie.get(f"{PATIENTS}/{patient.pk}")

    assert error_of(missing, 404, "not_found") == error_of(foreign, 404, "not_found")
    assert missing.content == foreign.content
