"""In Chromium: a hidden photo leaves the patient's comparisons and every "Compare with" choice.

Three analysed photos of sessions 1 to 3 and two measured comparisons are made
straight in the database (``manage shell``; nothing here needs their image
files); the practitioner who uploaded them then hides the wrong one, the photo
of session 3, from its page.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import PRACTITIONER, prepare, sign_in

pytestmark = pytest.mark.browser

PREPARE = """
import datetime as dt
from zoneinfo import ZoneInfo
from django.contrib.auth.models import User
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import JobStatus, QualityVerdict
from dermadelta.clinic.records.models import Comparison, Photo, TreatmentSession
user = User.objects.get(username={username!r})
patient = actions.create_patient(
    user.membership.clinic, {{"first_name": "Hana", "last_name": "Hide", "date_of_birth": dt.date(1990, 1, 2)}}, by=user
)
photos = []
for number in (1, 2, 3):
    taken = dt.datetime(2025, 3, 3, 9, number, tzinfo=ZoneInfo("Europe/London")) + dt.timedelta(days=28 * (number - 1))
    session = TreatmentSession.objects.create(patient=patient, number=number, on=taken.date(), depths={{"nose": 0.5}})
    photos.append(Photo.objects.create(
        patient=patient, session=session, view="front", original="none", display="none", sha256="0" * 64,
        width=1200, height=1600, taken_at=taken, uploaded_by=user, status=JobStatus.DONE,
        quality=QualityVerdict.OK, analysed_at=taken,
    ))
measured = {{"schema": "dermadelta.compare/1", "zones": {{"face": {{"redness": {{
    "before": 10.0, "after": 9.0, "delta": -1.0, "mdc": 0.5, "change": "decreased"}}}}}}}}
for after in photos[1:]:
    Comparison.objects.create(patient=patient, before=photos[0], after=after, status=JobStatus.DONE, result=measured)
print(patient.pk, *(photo.pk for photo in photos))
"""
BASELINE, KEPT, WRONG = "Session 1 · front · 09:01", "Session 2 · front · 09:02", "Session 3 · front · 09:03"


def _choices(page: Any, select: str) -> list[str]:
    return [option.split(",")[0] for option in page.locator(f"{select} option").all_inner_texts()]


def test_a_hidden_photo_leaves_the_comparisons_and_the_compare_choices(live_app, browser):
    patient_id, baseline_id, _, wrong_id = prepare(live_app, PREPARE.format(username=PRACTITIONER[0]))
    page: Any = browser.new_page()
    sign_in(page, live_app)

    page.goto(f"{live_app.url}/patients/{patient_id}/")
    assert sorted(page.locator("#comparisons li a").all_inner_texts()) == [
        "Baseline → session 2, front",
        "Baseline → session 3, front",
    ]
    assert _choices(page, "#compare-after") == [BASELINE, KEPT, WRONG]

    page.goto(f"{live_app.url}/photos/{wrong_id}/")
    page.get_by_role("button", name="Hide this photo").click()
    page.get_by_text("The photo is hidden.").wait_for()

    assert page.locator("#comparisons li a").all_inner_texts() == ["Baseline → session 2, front"]
    assert _choices(page, "#compare-before") == _choices(page, "#compare-after") == [BASELINE, KEPT]
    hidden = page.locator("#photos").inner_text()
    assert "Hidden photos" in hidden and WRONG in hidden
    assert WRONG not in page.locator("#photos .thumbs").inner_text()

    page.goto(f"{live_app.url}/photos/{baseline_id}/")
    assert _choices(page, "#compare-with") == [KEPT]
    assert page.get_by_role("link", name="Baseline → session 3, front").count() == 0
    page.close()
