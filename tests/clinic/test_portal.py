"""The patient's own page: their plan, this week, their care, photos and results; never anyone else's."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind, JobStatus, QualityVerdict, View
from dermadelta.clinic.records.demo import screening_answers
from dermadelta.clinic.records.models import Comparison, Patient, Photo, TreatmentPlan, TreatmentSession
from dermadelta.clinic.records.portal import (
    COMING,
    DONE,
    NOW,
    aftercare,
    before_next,
    healing_timeline,
    next_session,
    this_week,
)
from dermadelta.protocol.calendar import time_zone

URL = reverse("portal")
CHEEKS = ("left_cheek", "right_cheek")


def _today(patient: Patient) -> dt.date:
    return timezone.localdate(timezone=time_zone(patient.clinic.time_zone))


def _plan(patient: Patient, by: Any, *, start: dt.date, sessions: int = 3, target: str = "texture") -> TreatmentPlan:
    consultation = actions.record_consultation(
        patient, on=start - dt.timedelta(days=7), zones=CHEEKS, answers=screening_answers(), by=by
    )
    return actions.create_plan(
        patient,
        actions.PlanRequest(targets=(f"{target}:{','.join(CHEEKS)}",), start=start, sessions=sessions),
        consultation=consultation,
        by=by,
    )


def _chart(
    patient: Patient, plan: TreatmentPlan, number: int, by: Any, *, depth: float | None = None
) -> TreatmentSession:
    planned = plan.plan["sessions"][number - 1]
    depths = {d["zone"]: depth or d["depth_mm"] for d in planned["depths"]}
    return actions.chart_session(
        patient, {"number": number, "on": dt.date.fromisoformat(planned["date"]), "depths": depths}, by=by
    )


def _photo(patient: Patient, day: dt.date, *, status: str = JobStatus.DONE) -> Photo:
    """A stored photo row without analysis cost (the page only links to it)."""
    data = f"photo of {patient.pk} on {day}".encode()
    photo = Photo(
        patient=patient,
        view=View.FRONT,
        sha256=hashlib.sha256(data).hexdigest(),
        width=10,
        height=10,
        taken_at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC),
        status=status,
        quality=QualityVerdict.OK if status == JobStatus.DONE else "",
    )
    photo.original.save("original", ContentFile(data), save=False)
    photo.display.save("display.jpg", ContentFile(data), save=False)
    photo.save()
    return photo


def _comparison(patient: Patient, before: Photo, after: Photo, *, status: str = JobStatus.DONE) -> Comparison:
    return Comparison.objects.create(patient=patient, before=before, after=after, status=status)


@pytest.fixture
def pats_course(patient: Patient, alice: Any) -> dict[str, Any]:
    """Pat: a 3-session plan whose first session was 10 days ago (charted), two photos and a comparison."""
    today = _today(patient)
    plan = _plan(patient, alice, start=today - dt.timedelta(days=10))
    first = _chart(patient, plan, 1, alice)
    before = _photo(patient, first.on - dt.timedelta(days=3))
    after = _photo(patient, today - dt.timedelta(days=1))
    comparison = _comparison(patient, before, after)
    return {"plan": plan, "session": first, "photos": [before, after], "comparison": comparison}


@pytest.fixture
def quinns_course(quinn: Patient, alice: Any) -> dict[str, Any]:
    for kind in (ConsentKind.TREATMENT, ConsentKind.PHOTOGRAPHY):
        actions.grant_consent(quinn, kind, by=alice)
    plan = _plan(quinn, alice, start=_today(quinn) - dt.timedelta(days=40), target="fine_lines")
    before = _photo(quinn, _today(quinn) - dt.timedelta(days=50))
    after = _photo(quinn, _today(quinn) - dt.timedelta(days=2))
    return {"plan": plan, "photos": [before, after], "comparison": _comparison(quinn, before, after)}


# --- the page ---------------------------------------------------------------------------------------


def test_it_shows_pat_her_plan_this_week_and_aftercare(as_pat, pats_course):
    response = as_pat.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    plan = pats_course["plan"]
    assert "Your treatment, Pat" in page
    # this week: where she is after session 1 (about 10 days ago) and what comes next
    since = (_today(pats_course["session"].patient) - pats_course["session"].on).days
    assert f"It is {since} days since your session 1" in page
    second = plan.session_dates()[1]
    assert 'id="next-session"' in page and f"session 2 on {second:%A} {second.day} {second:%B %Y}" in page
    assert "Visible change" in page and "New collagen at its peak" in page
    # the aftercare checklist of session 1
    assert 'id="aftercare"' in page and "Aftercare for session 1" in page
    assert "Mineral SPF 30+ and strict sun avoidance" in page  # days 1-14: this week
    assert 'id="aftercare-done"' not in page
    # downloads of her own plan
    assert reverse("plan_handout", args=[plan.pk]) in page
    assert reverse("plan_handout", args=[plan.pk]) + "?format=html" in page
    assert reverse("plan_calendar", args=[plan.pk]) in page
    # photos, comparison and the measured progress chart
    for photo in pats_course["photos"]:
        assert reverse("photo_image", args=[photo.pk]) in page
        assert reverse("photo", args=[photo.pk]) in page
    assert reverse("comparison", args=[pats_course["comparison"].pk]) in page
    chart = reverse("progress_chart", args=[pats_course["plan"].patient_id])
    assert f'<img class="progress-chart" src="{chart}"' in page
    assert "SIMULATED" not in page


def test_it_never_shows_quinns_things_to_pat(as_pat, pats_course, quinns_course):
    page = as_pat.get(URL).content.decode()

    assert "Quinn" not in page and "Fox" not in page
    for photo in quinns_course["photos"]:
        assert reverse("photo_image", args=[photo.pk]) not in page
        assert reverse("photo", args=[photo.pk]) not in page
    assert reverse("comparison", args=[quinns_course["comparison"].pk]) not in page
    assert reverse("plan_handout", args=[quinns_course["plan"].pk]) not in page
    assert reverse("progress_chart", args=[quinns_course["plan"].patient_id]) not in page


def test_it_shows_quinn_only_quinns_own_record(as_quinn, pats_course, quinns_course):
    page = as_quinn.get(URL).content.decode()

    assert "Your treatment, Quinn" in page
    assert reverse("plan_handout", args=[quinns_course["plan"].pk]) in page
    assert reverse("plan_handout", args=[pats_course["plan"].pk]) not in page
    for photo in pats_course["photos"]:
        assert reverse("photo_image", args=[photo.pk]) not in page
    assert reverse("comparison", args=[pats_course["comparison"].pk]) not in page
    assert "Doe" not in page


def test_it_audits_every_visit_of_the_page(as_pat, patient):
    as_pat.get(URL)
    as_pat.get(URL)

    entries = AuditEntry.objects.filter(patient=patient, action=AuditAction.VIEW, object_type="patient")
    assert entries.count() == 2
    assert {e.username for e in entries} == {"pat"}
    assert all(e.clinic_id == patient.clinic_id for e in entries)


def test_it_refuses_staff(as_alice, as_bob, as_charlie, patient):
    for client in (as_alice, as_bob, as_charlie):
        assert client.get(URL).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW).exists()


def test_it_sends_anonymous_visitors_to_sign_in(client, patient):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_shows_a_kind_page_before_anything_is_planned(as_pat):
    response = as_pat.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is nothing planned for you yet" in page
    assert "No photos yet" in page and "No before-and-after comparisons yet" in page
    assert 'class="progress-chart"' not in page


def test_it_shows_no_progress_chart_until_a_comparison_is_measured(as_pat, patient):
    before = _photo(patient, _today(patient) - dt.timedelta(days=60))
    after = _photo(patient, _today(patient) - dt.timedelta(days=1))
    comparison = _comparison(patient, before, after, status=JobStatus.QUEUED)

    page = as_pat.get(URL).content.decode()

    assert reverse("comparison", args=[comparison.pk]) in page
    assert 'class="progress-chart"' not in page


def test_it_labels_a_simulated_record_as_simulated(as_pat, patient):
    Patient.objects.filter(pk=patient.pk).update(simulated=True)

    page = as_pat.get(URL).content.decode()

    assert 'id="simulated-notice"' in page and "SIMULATED" in page


def test_it_escapes_what_the_record_holds(as_pat, patient):
    Patient.objects.filter(pk=patient.pk).update(first_name="<script>alert(1)</script>")

    page = as_pat.get(URL).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_it_says_when_the_course_is_complete(as_pat, patient, alice):
    plan = _plan(patient, alice, start=_today(patient) - dt.timedelta(days=200), sessions=3)
    for number in (1, 2, 3):
        _chart(patient, plan, number, alice)

    page = as_pat.get(URL).content.decode()

    assert 'id="course-complete"' in page and 'id="next-session"' not in page
    assert "A maintenance session is advised" in page
    assert 'id="aftercare-done"' in page  # the last session's aftercare is long over


# --- what a patient sees this week (records.portal) ------------------------------------------------

DAY0 = dt.date(2026, 3, 2)  # a Monday


@pytest.fixture
def charted(patient: Patient, alice: Any) -> TreatmentSession:
    """Pat's session 1 on DAY0 at 1.5 mm (the 'deep' band: redness 3 days, flaking days 3-7)."""
    plan = _plan(patient, alice, start=DAY0, sessions=4, target="acne_scars_rolling")
    assert plan.session_dates()[0] == DAY0
    return _chart(patient, plan, 1, alice, depth=1.5)


@pytest.mark.parametrize(
    ("days", "now", "headline"),
    [
        (0, "redness", "Today is your session day"),
        (2, "redness", "Redness from your session is fading"),
        (5, "flaking", "Dryness and light flaking are normal now"),
        (20, "visible", "first visible change"),
        (50, "collagen", "New collagen is forming at its fastest now"),
        (120, "full", "The full result of your last session is showing now"),
        (400, None, "maintenance sessions help keep it"),
    ],
)
def test_it_places_the_patient_in_the_healing_timeline(patient, charted, days, now, headline):
    today = DAY0 + dt.timedelta(days=days)

    timeline = healing_timeline(patient, today)

    assert timeline is not None and timeline.days_since == days and timeline.session_number == 1
    assert headline in timeline.headline
    current = {m.key for m in timeline.milestones if m.state == NOW}
    if now is None:
        assert current == set() and all(m.state == DONE for m in timeline.milestones)
    else:
        assert now in current
    redness = next(m for m in timeline.milestones if m.key == "redness")
    assert (redness.first, redness.last) == (DAY0, DAY0 + dt.timedelta(days=3))  # deep band: 3 days


def test_it_has_no_timeline_or_aftercare_before_the_first_session(patient, alice):
    _plan(patient, alice, start=DAY0)

    assert healing_timeline(patient, DAY0 - dt.timedelta(days=1)) is None
    assert aftercare(patient, DAY0 - dt.timedelta(days=1)) is None


def test_it_ignores_a_session_charted_after_today(patient, charted):
    assert healing_timeline(patient, DAY0 - dt.timedelta(days=3)) is None


def test_it_marks_the_aftercare_of_the_current_session(patient, charted):
    checklist = aftercare(patient, DAY0 + dt.timedelta(days=10))

    assert checklist is not None and checklist.session_number == 1 and checklist.depth_mm == 1.5
    states = {item.title: item.state for item in checklist.items}
    assert states["No make-up"] == DONE  # days 0-1 (+2 for the depth)
    assert states["Mineral SPF 30+ and strict sun avoidance"] == NOW  # days 1-14
    assert states["Pinpoint bleeding and swelling are expected"] == DONE  # from 1.5 mm only
    assert all(item.phase != "pre" for item in checklist.items)
    assert {item.title for item in checklist.this_week} == {"Mineral SPF 30+ and strict sun avoidance"}


def test_it_lists_the_pre_care_of_a_session_two_weeks_away(patient, charted):
    second = charted.plan.session_dates()[1]

    assert before_next(patient, second - dt.timedelta(days=15)) is None
    checklist = before_next(patient, second - dt.timedelta(days=10))

    assert checklist is not None and checklist.session_number == 2
    states = {item.title: item.state for item in checklist.items}
    assert states["No peels, laser or waxing in the treated area"] == NOW  # from 14 days before
    assert states["Hydrate"] == COMING  # the last 3 days only
    assert all(item.phase == "pre" for item in checklist.items)


def test_it_finds_the_next_session_not_yet_charted(patient, charted):
    dates = charted.plan.session_dates()

    upcoming = next_session(patient, DAY0)
    assert upcoming is not None and upcoming.number == 2 and upcoming.date == dates[1]
    assert upcoming.days_until == (dates[1] - DAY0).days

    # session 2 was missed (not charted) and its day has passed: the next is session 3
    later = next_session(patient, dates[1] + dt.timedelta(days=1))
    assert later is not None and later.number == 3

    week = this_week(patient, DAY0)
    assert [s.charted for s in week.sessions] == [True, False, False, False]
    assert [s.is_next for s in week.sessions] == [False, True, False, False]
    assert not week.course_complete
