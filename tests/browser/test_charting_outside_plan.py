"""In Chromium: a session charted against the plan is refused with the reasons, then recorded with an override.

The patient, consultation, plan and first session are prepared with the clinic's
own actions (``manage shell``); the practitioner then charts session 2 on the
day of session 1, on a zone the plan does not treat, through the chart form.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import PRACTITIONER, prepare, sign_in

pytestmark = pytest.mark.browser

PREPARE = """
import datetime as dt
from django.contrib.auth.models import User
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.models import Patient
user = User.objects.get(username={username!r})
clinic = user.membership.clinic
patient = actions.create_patient(
    clinic, {{"first_name": "Casey", "last_name": "Chart", "date_of_birth": dt.date(1985, 6, 1)}}, by=user
)
for kind in ("treatment", "photography"):
    actions.grant_consent(patient, kind, by=user)
start = dt.date(2025, 3, 3)
consultation = actions.record_consultation(
    patient, on=start, zones=["left_cheek", "right_cheek"], answers={{"hsv_history": True}}, by=user
)
request = actions.PlanRequest(targets=("acne_scars_rolling:left_cheek,right_cheek",), start=start, sessions=4)
plan = actions.create_plan(patient, request, consultation=consultation, by=user)
first = plan.protocol_plan().sessions[0]
actions.chart_session(
    patient, {{"on": first.date, "number": 1, "depths": {{d.zone: d.depth_mm for d in first.depths}}}}, by=user
)
print(patient.pk)
"""
REASON = "Leaving the country for a year; discussed healing time and agreed to treat today."


def test_charting_outside_the_plan_is_refused_then_recorded_with_a_reason(live_app, browser):
    (patient_id,) = prepare(live_app, PREPARE.format(username=PRACTITIONER[0]))
    page: Any = browser.new_page()
    sign_in(page, live_app)

    page.goto(f"{live_app.url}/patients/{patient_id}/sessions/new/?number=2")
    page.get_by_label("Date").fill("2025-03-03")
    page.get_by_label("Forehead").fill("0.25")
    page.get_by_role("button", name="Save the session").click()

    refusal = page.locator("#outside-plan")
    refusal.wait_for()
    text = refusal.inner_text()
    assert "This session departs from the plan" in text
    assert "the same day" in text and "28 days apart" in text
    assert "The forehead is not in the plan." in text and "was not screened" in text

    page.get_by_label("Chart this session outside the plan").check()
    page.get_by_role("button", name="Save the session").click()
    page.get_by_text("Give the reason for charting this session outside the plan.").wait_for()

    page.get_by_label("Reason for charting outside the plan").fill(REASON)
    page.get_by_role("button", name="Save the session").click()
    page.get_by_role("heading", name="Charted outside the plan").wait_for()

    shown = page.locator("#outside-plan").inner_text()
    assert REASON in shown and "The forehead is not in the plan." in shown
    assert "/sessions/" in page.url
    page.close()
