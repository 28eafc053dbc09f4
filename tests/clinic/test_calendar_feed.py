"""A patient's calendar feed: a secret address that works without sign-in, stored only as a hash, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import icalendar
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.calendar_feed import FEED_USERNAME, create_feed, patient_for_secret
from dermadelta.clinic.records.models import Patient, TreatmentPlan, TreatmentSession
from tests.calendars import parse_strictly

TODAY = dt.date(2025, 3, 3)
ADDRESS = re.compile(r'value="(http://testserver/calendar/([^"]+)\.ics)"')


@pytest.fixture
def plan(patient: Patient, alice: Any) -> TreatmentPlan:
    consultation = actions.record_consultation(
        patient, on=TODAY, zones=["left_cheek", "right_cheek", "forehead"], answers={"hsv_history": True}, by=alice
    )
    request = actions.PlanRequest(targets=("acne_scars_rolling:left_cheek,right_cheek",), start=TODAY, sessions=5)
    return actions.create_plan(patient, request, consultation=consultation, by=alice)


def make_feed(client: Client, patient: Patient) -> str:
    """Ask for a feed from the patient's page; the secret as the one-time page shows it."""
    response = client.post(reverse("patient_calendar_feed", args=[patient.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    match = ADDRESS.search(response.content.decode())
    assert match, "the page shows no address"
    return match.group(2)


def feed(secret: str) -> Any:
    return Client().get(f"/calendar/{secret}.ics")


def events(data: bytes) -> list[Any]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def feed_entries(patient: Patient) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(patient=patient, detail__startswith="calendar feed").order_by("id"))


# --- the feed ---------------------------------------------------------------------------------------------


def test_the_address_works_without_sign_in_and_gives_the_plans_calendar(as_alice, patient, plan):
    secret = make_feed(as_alice, patient)

    response = feed(secret)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    found = events(response.content)
    sessions = [e for e in found if str(e["SUMMARY"]).startswith("Microneedling session")]
    assert [e.decoded("DTSTART").date() for e in sessions] == plan.session_dates()
    assert len(found) > len(sessions)  # the care reminders come too
    body = response.content.decode()
    assert "Pat" not in body and "Doe" not in body and "hsv" not in body.lower()


def test_each_read_is_audited_without_an_account(as_alice, patient, plan):
    secret = make_feed(as_alice, patient)

    feed(secret)
    as_alice.get(f"/calendar/{secret}.ics")  # even from a browser that is signed in

    reads = [e for e in feed_entries(patient) if e.action == AuditAction.DOWNLOAD]
    assert len(reads) == 2
    assert all((e.user, e.username, e.patient) == (None, FEED_USERNAME, patient) for e in reads)


def test_charted_sessions_off_the_plans_days_are_in_the_feed(as_alice, patient, alice, plan):
    moved = actions.chart_session(
        patient, {"on": TODAY + dt.timedelta(days=2), "number": 1, "depths": {"left_cheek": 1.0}}, by=alice
    )

    found = events(feed(make_feed(as_alice, patient)).content)

    done = [e for e in found if str(e["UID"]) == f"charted-session-{moved.pk}@dermadelta"]
    assert len(done) == 1
    assert done[0].decoded("DTSTART") == TODAY + dt.timedelta(days=2)
    assert str(done[0]["SUMMARY"]) == "Microneedling session 1 (done)"


def test_a_session_charted_on_its_planned_day_is_not_shown_twice(as_alice, patient, alice, plan):
    actions.chart_session(patient, {"on": TODAY, "number": 1, "depths": {"left_cheek": 1.0}}, by=alice)

    found = events(feed(make_feed(as_alice, patient)).content)

    assert not [e for e in found if str(e["UID"]).startswith("charted-session-")]


def test_without_a_plan_the_feed_is_a_calendar_of_the_charted_sessions(as_alice, patient):
    TreatmentSession.objects.create(patient=patient, number=1, on=TODAY, depths={"chin": 1.0})

    response = feed(make_feed(as_alice, patient))

    assert response.status_code == 200
    assert [str(e["SUMMARY"]) for e in events(response.content)] == ["Microneedling session 1 (done)"]


def test_the_feed_is_valid_for_icalendar_and_vobject_with_plan_and_charted_sessions(as_alice, patient, alice, plan):
    actions.chart_session(
        patient, {"on": TODAY + dt.timedelta(days=2), "number": 1, "depths": {"left_cheek": 1.0}}, by=alice
    )

    calendar = parse_strictly(feed(make_feed(as_alice, patient)).content)

    stamps = [e["DTSTAMP"].dt for e in calendar.walk("VEVENT")]
    assert stamps and all(s.utcoffset() == dt.timedelta(0) for s in stamps)  # RFC 5545: DTSTAMP is in UTC
    assert any(str(e["UID"]).startswith("charted-session-") for e in calendar.walk("VEVENT"))


def test_a_feed_with_nothing_to_show_is_still_a_valid_calendar(as_alice, patient):
    response = feed(make_feed(as_alice, patient))

    assert response.status_code == 200
    calendar = parse_strictly(response.content)  # RFC 5545 wants one component: the clinic's time zone
    assert calendar.walk("VEVENT") == []
    assert [z["TZID"] for z in calendar.walk("VTIMEZONE")] == ["Europe/London"]


def test_the_feed_has_nothing_of_another_patient(as_alice, patient, quinn, plan):
    other = TreatmentSession.objects.create(patient=quinn, number=1, on=TODAY, depths={"chin": 1.0})
    create_feed(quinn, by=None)

    body = feed(make_feed(as_alice, patient)).content.decode()

    assert f"charted-session-{other.pk}@" not in body
    assert "Quinn" not in body and "Fox" not in body


def test_a_plan_that_cannot_be_read_answers_409_not_an_emptied_calendar(as_alice, patient, plan):
    secret = make_feed(as_alice, patient)
    TreatmentPlan.objects.filter(pk=plan.pk).update(plan={**plan.plan, "sessions": []})

    response = feed(secret)

    assert response.status_code == 409
    assert response["Cache-Control"] == "private, no-store"
    assert b"BEGIN:VCALENDAR" not in response.content


# --- the secret -------------------------------------------------------------------------------------------


def test_only_the_hash_of_the_secret_is_stored_anywhere(as_alice, patient, plan):
    secret = make_feed(as_alice, patient)
    feed(secret)

    patient.refresh_from_db()
    assert patient.calendar_feed_hash == hashlib.sha256(secret.encode()).hexdigest()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                assert secret not in repr(row), f"the secret is stored in {table}"


def test_a_new_address_stops_the_old_one(as_alice, patient, plan):
    old = make_feed(as_alice, patient)
    new = make_feed(as_alice, patient)

    assert old != new
    assert feed(old).status_code == 404
    assert feed(new).status_code == 200
    assert [(e.action, e.detail) for e in feed_entries(patient)][:2] == [
        (AuditAction.CREATE, "calendar feed"),
        (AuditAction.UPDATE, "calendar feed renewed"),
    ]


def test_a_revoked_feed_answers_404(as_alice, patient, plan):
    secret = make_feed(as_alice, patient)

    response = as_alice.post(reverse("patient_calendar_feed_revoke", args=[patient.pk]), follow=True)

    assert "no longer works" in response.content.decode()
    assert feed(secret).status_code == 404
    patient.refresh_from_db()
    assert patient.calendar_feed_hash == ""
    assert feed_entries(patient)[-1].action == AuditAction.WITHDRAW


def test_revoking_when_there_is_no_feed_changes_and_writes_nothing(as_alice, patient):
    before = AuditEntry.objects.count()

    response = as_alice.post(reverse("patient_calendar_feed_revoke", args=[patient.pk]), follow=True)

    assert "There was no calendar feed to revoke." in response.content.decode()
    assert AuditEntry.objects.filter(detail__startswith="calendar feed").count() == 0
    assert AuditEntry.objects.count() == before + 1  # the patient page it returned to


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/.ics",
        "/calendar/" + "a" * 10_000 + ".ics",
        "/calendar/" + "é" * 43 + ".ics",
        "/calendar/" + "%F0%9F%93%85" * 43 + ".ics",
        "/calendar/../../etc/passwd.ics",
        "/calendar/..%2F..%2Fsettings.py.ics",
        "/calendar/" + "A" * 43 + ".ics",
        "/calendar/%00" + "A" * 42 + ".ics",
        "/calendar/' OR '1'='1.ics",
    ],
)
def test_anything_but_a_live_secret_answers_404(as_alice, patient, plan, path):
    make_feed(as_alice, patient)
    before = AuditEntry.objects.count()

    response = Client().get(path)

    assert response.status_code == 404
    assert AuditEntry.objects.count() == before


def test_the_stored_hash_does_not_open_the_feed(as_alice, patient, plan):
    make_feed(as_alice, patient)
    patient.refresh_from_db()

    assert feed(patient.calendar_feed_hash).status_code == 404


def test_no_string_finds_a_patient_without_a_feed(patient, quinn):
    assert Patient.objects.filter(calendar_feed_hash="").count() == 2

    for secret in ("", " ", "x" * 43, hashlib.sha256(b"").hexdigest()):
        assert patient_for_secret(secret) is None


def test_the_feed_only_answers_reads(as_alice, patient, plan):
    secret = make_feed(as_alice, patient)

    assert Client().post(f"/calendar/{secret}.ics").status_code == 405


# --- who may make or revoke a feed ----------------------------------------------------------------------------


def test_a_stranger_can_neither_make_nor_revoke_another_clinics_feed(as_alice, as_charlie, patient, plan):
    secret = make_feed(as_alice, patient)
    patient.refresh_from_db()
    stored = patient.calendar_feed_hash
    before = AuditEntry.objects.exclude(action=AuditAction.REFUSED).count()

    assert as_charlie.post(reverse("patient_calendar_feed", args=[patient.pk])).status_code == 404
    assert as_charlie.post(reverse("patient_calendar_feed_revoke", args=[patient.pk])).status_code == 404

    patient.refresh_from_db()
    assert patient.calendar_feed_hash == stored
    assert feed(secret).status_code == 200
    # the feed read above; of charlie's attempts only their refusals
    assert AuditEntry.objects.exclude(action=AuditAction.REFUSED).count() == before + 1


def test_asking_for_a_feed_takes_a_post(as_alice, patient):
    assert as_alice.get(reverse("patient_calendar_feed", args=[patient.pk])).status_code == 405
    assert as_alice.get(reverse("patient_calendar_feed_revoke", args=[patient.pk])).status_code == 405
    patient.refresh_from_db()
    assert patient.calendar_feed_hash == ""


def test_the_staff_pages_are_closed_to_patients(as_pat, patient):
    assert as_pat.post(reverse("patient_calendar_feed", args=[patient.pk])).status_code == 403
    patient.refresh_from_db()
    assert patient.calendar_feed_hash == ""


def test_the_patient_page_offers_the_feed_and_then_its_renewal(as_alice, patient):
    page = as_alice.get(reverse("patient", args=[patient.pk])).content.decode()
    assert "Make a calendar feed" in page

    make_feed(as_alice, patient)

    page = as_alice.get(reverse("patient", args=[patient.pk])).content.decode()
    assert "New address" in page and "Revoke" in page


# --- the patient's own feed, from the portal -------------------------------------------------------------------


def test_a_patient_makes_and_turns_off_their_own_feed(as_pat, patient, plan):
    assert "Get a calendar address" in as_pat.get(reverse("portal")).content.decode()

    response = as_pat.post(reverse("portal_calendar_feed"))

    assert response.status_code == 200
    assert "Your calendar feed" in response.content.decode()
    match = ADDRESS.search(response.content.decode())
    assert match
    assert feed(match.group(2)).status_code == 200
    assert "Turn off" in as_pat.get(reverse("portal")).content.decode()
    created = feed_entries(patient)[0]
    assert (created.user, created.action) == (patient.user, AuditAction.CREATE)

    as_pat.post(reverse("portal_calendar_feed_revoke"))

    assert feed(match.group(2)).status_code == 404
    assert feed_entries(patient)[-1].action == AuditAction.WITHDRAW


def test_the_portals_feed_pages_are_for_patients_only(as_alice, client):
    assert as_alice.post(reverse("portal_calendar_feed")).status_code == 403
    response = client.post(reverse("portal_calendar_feed"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
