"""In Chromium: the practitioner invites a patient to the portal; the patient's first sign-in through the link.

The link is read off the printable invitation page, opened in a separate
browser context (the patient's own browser), used once, and refused the second time.
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
user = User.objects.get(username={username!r})
details = {{"first_name": "Ines", "last_name": "Invite", "date_of_birth": dt.date(1988, 4, 5)}}
patient = actions.create_patient(user.membership.clinic, details, by=user)
print(patient.pk)
"""
PASSWORD = "a quiet walk along the canal 7"


def test_the_patient_signs_in_first_through_the_invitation_link(live_app, browser):
    (patient_id,) = prepare(live_app, PREPARE.format(username=PRACTITIONER[0]))
    page: Any = browser.new_page()
    sign_in(page, live_app)

    page.goto(f"{live_app.url}/patients/{patient_id}/")
    assert "No access" in page.locator("#portal").inner_text()
    page.get_by_role("button", name="Invite to the portal").click()
    page.get_by_role("heading", name="Portal invitation for Ines Invite").wait_for()
    link = page.locator("#portal-invitation .link").inner_text().strip()
    assert link.startswith(f"{live_app.url}/portal/welcome/")
    assert "ines.invite" in page.locator("#portal-invitation").inner_text()

    patient_browser = browser.new_context()  # no cookie of the practitioner's
    own: Any = patient_browser.new_page()
    own.goto(link)
    assert "Your user name is ines.invite" in own.locator("main").inner_text()
    own.get_by_label("New password:", exact=True).fill(PASSWORD)
    own.get_by_label("New password confirmation:").fill(PASSWORD)
    own.get_by_role("button", name="Set my password and sign in").click()
    own.wait_for_url(f"{live_app.url}/portal/")
    own.get_by_role("heading", name="Your treatment, Ines").wait_for()

    own.goto(link)
    assert "This link has already been used." in own.locator("main").inner_text()
    patient_browser.close()

    page.goto(f"{live_app.url}/patients/{patient_id}/")
    assert "Signs in as ines.invite" in page.locator("#portal").inner_text()
    page.close()
