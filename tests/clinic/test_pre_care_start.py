"""A plan whose first session is on (or soon after) the consultation day: pre-care never starts in the past."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest

from dermadelta.clinic.records import actions
from dermadelta.clinic.records.models import TreatmentPlan
from dermadelta.clinic.records.schedule import clinic_today


@pytest.fixture
def same_day_plan(patient: Any, alice: Any) -> TreatmentPlan:
    today = clinic_today(patient.clinic)
    consultation = actions.record_consultation(patient, on=today, zones=["forehead"], answers={}, by=alice)
    request = actions.PlanRequest(targets=("fine_lines:forehead",), start=today, sessions=3)
    return actions.create_plan(patient, request, consultation=consultation, by=alice)


def test_the_stored_care_starts_no_earlier_than_the_day_the_plan_is_made(same_day_plan):
    today = clinic_today(same_day_plan.patient.clinic)
    care = same_day_plan.care_schedule()

    assert same_day_plan.session_dates()[0] <= today + dt.timedelta(days=3)  # the next working day at the latest
    assert all(item.first >= today for item in care.items)
    assert len(care.notes) == 1 and care.notes[0].startswith("Session 1 on ")


def test_the_plan_page_says_the_pre_care_was_shortened(as_alice, same_day_plan):
    page = as_alice.get(f"/plans/{same_day_plan.pk}/").content.decode()

    assert "too soon after the plan was made" in page and "Pre-care" in page


def test_the_calendar_carries_no_pre_care_in_the_past(as_alice, same_day_plan):
    today = clinic_today(same_day_plan.patient.clinic)
    calendar = icalendar.Calendar.from_ical(as_alice.get(f"/plans/{same_day_plan.pk}/calendar.ics").content)
    starts = [event.decoded("DTSTART") for event in calendar.walk("VEVENT")]
    days = [start.date() if isinstance(start, dt.datetime) else start for start in starts]

    assert days and min(days) >= today
