"""The staff dashboard: today's sessions, who is due, analyses in progress, who waits after screening (own clinic)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.base import ContentFile

from dermadelta.clinic.accounts.models import Clinic
from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records.choices import JobStatus, Verdict
from dermadelta.clinic.records.models import Consultation, Patient, Photo, TreatmentPlan, TreatmentSession
from dermadelta.clinic.records.schedule import clinic_today


def shift(day: dt.date, n: int) -> dt.date:
    return day + dt.timedelta(days=n)


def plan_for(patient: Patient, dates: list[dt.date], **snapshot: Any) -> TreatmentPlan:
    sessions = [{"number": n, "date": d.isoformat()} for n, d in enumerate(dates, start=1)]
    return TreatmentPlan.objects.create(
        patient=patient, targets=["texture:forehead"], start=dates[0], plan={"sessions": sessions, **snapshot}
    )


def failed_photo(patient: Patient) -> Photo:
    photo = Photo(patient=patient, sha256="f" * 64, width=10, height=10, status=JobStatus.FAILED)
    photo.original.save("f-original", ContentFile(b"x"), save=False)
    photo.display.save("f-display.jpg", ContentFile(b"x"), save=False)
    photo.save()
    return photo


@pytest.fixture
def busy_day(riverside: Clinic, patient: Patient, quinn: Patient) -> dict[str, Any]:
    """Pat has a session planned today and a photo whose analysis failed; Quinn is overdue and was deferred."""
    today = clinic_today(riverside)
    plan_for(patient, [today])
    plan = plan_for(quinn, [shift(today, -40), shift(today, -12)])
    TreatmentSession.objects.create(patient=quinn, plan=plan, number=1, on=shift(today, -40), depths={"chin": 1.0})
    deferral = Consultation.objects.create(
        patient=quinn, on=shift(today, -3), zones=["chin"], verdict=Verdict.DEFER, eligible_from=shift(today, 25)
    )
    return {"today": today, "photo": failed_photo(patient), "deferral": deferral}


@pytest.fixture
def harriet(harbour: Clinic) -> Patient:
    """Harbour Clinic's patient, with a session planned today and a referral."""
    harriet = Patient.objects.create(
        clinic=harbour, first_name="Harriet", last_name="Hale", date_of_birth=dt.date(1990, 1, 1)
    )
    plan_for(harriet, [clinic_today(harbour)])
    Consultation.objects.create(patient=harriet, on=clinic_today(harbour), zones=["chin"], verdict=Verdict.REFER)
    return harriet


def test_it_shows_the_clinics_day(as_alice, patient, quinn, busy_day):
    response = as_alice.get("/dashboard/")

    assert response.status_code == 200
    page = response.content.decode()
    today_section = page[page.index('id="today"') : page.index('id="due"')]
    assert f'href="/patients/{patient.pk}/">Pat Doe</a>' in today_section
    assert f'href="/patients/{patient.pk}/sessions/new/?number=1">chart it</a>' in today_section
    due = page[page.index('id="due"') : page.index('id="analyses"')]
    assert f'href="/patients/{quinn.pk}/">Quinn Fox</a>' in due and "overdue" in due and "session 2" in due
    analyses = page[page.index('id="analyses"') : page.index('id="screening"')]
    assert f'href="/photos/{busy_day["photo"].pk}/">Front photo</a>' in analyses and "Failed: needs a retry" in analyses
    screening = page[page.index('id="screening"') :]
    assert f'href="/patients/{quinn.pk}/">Quinn Fox</a>' in screening
    assert f"eligible from {shift(busy_day['today'], 25):%-d %b %Y}" in screening
    assert f'href="/consultations/{busy_day["deferral"].pk}/"' in screening
    assert "No patient is waiting on a physician" in screening


def test_it_says_plainly_when_there_is_nothing_to_show(as_alice, patient):
    page = as_alice.get("/dashboard/").content.decode()

    assert "No sessions are planned or charted today." in page
    assert "No patient is due for a session in the next 7 days, and none is overdue." in page
    assert "Nothing is waiting: every photo and comparison has been analysed." in page
    assert "No patient's treatment is deferred." in page
    assert "No patient is waiting on a physician" in page


def test_it_shows_a_charted_session_of_today(as_alice, patient):
    today = clinic_today(patient.clinic)
    session = TreatmentSession.objects.create(patient=patient, number=3, on=today, depths={"chin": 1.0})

    page = as_alice.get("/dashboard/").content.decode()

    assert f'href="/sessions/{session.pk}/">see the chart</a>' in page and "session 3" in page


def test_it_shows_the_same_day_to_a_colleague(as_bob, patient, busy_day):
    page = as_bob.get("/dashboard/").content.decode()

    assert "Pat Doe" in page and "Quinn Fox" in page


def test_it_lists_only_the_actors_clinic(as_alice, as_charlie, patient, quinn, busy_day, harriet):
    ours = as_alice.get("/dashboard/").content.decode()
    theirs = as_charlie.get("/dashboard/").content.decode()

    assert "Harriet" not in ours and "Riverside Skin" in ours
    assert "Pat Doe" not in theirs and "Quinn Fox" not in theirs and "Harbour Clinic" in theirs
    assert f'href="/patients/{harriet.pk}/">Harriet Hale</a>' in theirs
    assert "No patient is waiting on a physician" not in theirs  # Harriet was referred


def test_it_shows_names_as_text(as_alice, patient):
    Patient.objects.filter(pk=patient.pk).update(first_name="<script>alert(1)</script>")
    plan_for(patient, [clinic_today(patient.clinic)])

    page = as_alice.get("/dashboard/").content.decode()

    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Doe" in page


def test_it_audits_the_dashboard_as_a_read_of_the_clinic(as_alice, alice, riverside):
    as_alice.get("/dashboard/")

    entry = AuditEntry.objects.get(action=AuditAction.VIEW)
    assert (entry.user, entry.object_type, entry.object_id, entry.detail) == (
        alice,
        "clinic",
        str(riverside.pk),
        "dashboard",
    )


def test_it_keeps_the_dashboard_from_patients_and_anonymous_visitors(as_pat, as_quinn, client, busy_day):
    assert as_pat.get("/dashboard/").status_code == 403
    assert as_quinn.get("/dashboard/").status_code == 403
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
