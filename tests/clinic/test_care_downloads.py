"""The care downloads: the patient handout (PDF or web page) and the plan's calendar, for staff and the patient."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.utils import timezone

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import care
from dermadelta.clinic.records.models import TreatmentPlan
from tests.calendars import parse_strictly
from tests.clinic.conftest import CLOCK_CHANGE_START

TODAY = CLOCK_CHANGE_START


@pytest.fixture
def plan(clock_change_plan: TreatmentPlan) -> TreatmentPlan:
    return clock_change_plan


def handout(plan: TreatmentPlan) -> str:
    return f"/plans/{plan.pk}/handout.pdf"


def calendar(plan: TreatmentPlan) -> str:
    return f"/plans/{plan.pk}/calendar.ics"


def events(data: bytes) -> list[Any]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def sessions_of(data: bytes) -> list[Any]:
    return [e for e in events(data) if str(e["SUMMARY"]).startswith("Microneedling session")]


# --- the calendar -------------------------------------------------------------------------------------------


def test_it_gives_one_calendar_event_per_planned_session(as_alice, plan):
    response = as_alice.get(calendar(plan))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="treatment-plan-2025-03-03-{plan.pk}.ics"'
    planned = plan.session_dates()
    found = sessions_of(response.content)
    assert len(planned) == 5 and len(found) == 5
    assert [e.decoded("DTSTART").date() for e in found] == planned
    assert {str(e["SUMMARY"]) for e in found} == {f"Microneedling session {n} of 5" for n in range(1, 6)}
    assert len(events(response.content)) > len(found)  # and the care reminders, as all-day events
    assert all(str(e["LOCATION"]) == "Riverside Skin" for e in found)


def test_it_times_sessions_in_the_clinics_time_zone(as_alice, plan, riverside):
    london = sessions_of(as_alice.get(calendar(plan)).content)
    assert all(e.decoded("DTSTART").tzinfo.key == "Europe/London" for e in london)
    # The wall clock stays at 10:00 across the change to summer time (30 March 2025).
    assert {e.decoded("DTSTART").strftime("%H:%M") for e in london} == {"10:00"}
    assert {e.decoded("DTSTART").utcoffset() for e in london} == {dt.timedelta(0), dt.timedelta(hours=1)}

    riverside.time_zone = "Asia/Tokyo"
    riverside.save()
    tokyo = sessions_of(as_alice.get(calendar(plan)).content)
    assert {e.decoded("DTSTART").utcoffset() for e in tokyo} == {dt.timedelta(hours=9)}
    assert b"TZID=Asia/Tokyo" in as_alice.get(calendar(plan)).content


def test_the_calendar_file_is_valid_for_icalendar_and_vobject(as_alice, plan):
    parsed = parse_strictly(as_alice.get(calendar(plan)).content)

    assert len(parsed.walk("VEVENT")) > 5
    assert [z["TZID"] for z in parsed.walk("VTIMEZONE")] == ["Europe/London"]


def test_it_gives_the_same_calendar_file_every_time(as_alice, as_pat, plan):
    assert as_alice.get(calendar(plan)).content == as_pat.get(calendar(plan)).content


# --- the handout ---------------------------------------------------------------------------------------------


def test_it_lets_the_patient_download_her_own_handout_as_a_pdf(as_pat, plan):
    response = as_pat.get(handout(plan))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="treatment-plan-2025-03-03-{plan.pk}.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) > 10_000


def test_it_shows_the_handout_as_a_web_page(as_alice, plan):
    response = as_alice.get(handout(plan) + "?format=html")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert "Your microneedling plan and care guide" in page
    assert "Riverside Skin" in page
    for day in plan.session_dates():
        assert day.strftime("%a %d %b %Y, 10:00") in page
    assert "History of cold sores" in page  # the screening it was made from
    assert "<script" not in page


def test_it_dates_the_handout_the_day_the_plan_was_made(as_alice, plan):
    made = timezone.localdate(plan.created_at, timezone=ZoneInfo("Europe/London"))
    assert made.isoformat() in as_alice.get(handout(plan) + "?format=html").content.decode()


# --- who may download ------------------------------------------------------------------------------------------


def test_it_lets_the_patient_add_her_own_plan_to_her_calendar(as_pat, plan):
    response = as_pat.get(calendar(plan))
    assert response.status_code == 200
    assert len(sessions_of(response.content)) == 5


def test_it_lets_a_colleague_download_the_care_files(as_bob, plan):
    assert as_bob.get(calendar(plan)).status_code == 200
    assert as_bob.get(handout(plan) + "?format=html").status_code == 200


@pytest.mark.parametrize("suffix", ["handout.pdf", "handout.pdf?format=html", "calendar.ics"])
def test_it_hides_the_care_files_from_another_patient(as_quinn, plan, suffix):
    assert as_quinn.get(f"/plans/{plan.pk}/{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", ["handout.pdf", "handout.pdf?format=html", "calendar.ics"])
def test_it_hides_the_care_files_from_a_stranger(as_charlie, plan, suffix):
    assert as_charlie.get(f"/plans/{plan.pk}/{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", ["handout.pdf", "calendar.ics"])
def test_it_sends_anonymous_downloaders_to_sign_in(client, plan, suffix):
    response = client.get(f"/plans/{plan.pk}/{suffix}")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_answers_404_for_a_plan_that_does_not_exist(as_pat, plan):
    assert as_pat.get(f"/plans/{plan.pk + 1000}/calendar.ics").status_code == 404


def test_it_audits_every_download(as_pat, patient, plan):
    as_pat.get(calendar(plan))
    as_pat.get(handout(plan) + "?format=html")

    entries = AuditEntry.objects.filter(
        action=AuditAction.DOWNLOAD, object_type="treatmentplan", object_id=str(plan.pk), patient=patient
    )
    assert sorted(entries.values_list("user__username", "detail")) == [("pat", "calendar"), ("pat", "handout HTML")]


def test_it_explains_a_stored_plan_that_cannot_be_read(as_pat, plan):
    TreatmentPlan.objects.filter(pk=plan.pk).update(plan={**plan.plan, "sessions": "none"})

    for url in (calendar(plan), handout(plan)):
        response = as_pat.get(url)
        assert response.status_code == 409
        assert "cannot be read" in response.content.decode()
        assert "&#x27;sessions&#x27; of the plan is not a list" in response.content.decode()


# --- the care helpers --------------------------------------------------------------------------------------------


def test_the_care_schedule_follows_the_stored_plan(plan):
    rebuilt = care.plan_care(plan)

    assert rebuilt.plan.to_dict() == plan.plan
    assert [s.date for s in rebuilt.care.sessions] == plan.session_dates()
    rows = care.care_rows(rebuilt.care)
    assert [row["session"] for row in rows] == [1, 2, 3, 4, 5]
    phases = [group["phase"] for group in rows[0]["groups"]]
    assert phases == ["pre", "expect", "post"]
    assert all(item.last <= rows[0]["date"] for item in rows[0]["groups"][0]["items"])  # pre-care ends by the day
    assert rebuilt.tz == "Europe/London" and rebuilt.clinic == "Riverside Skin"
