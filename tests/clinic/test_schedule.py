"""The dashboard's queries: today's sessions, analyses in progress, who is due, who waits after screening."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from dermadelta.clinic.accounts.models import Clinic
from dermadelta.clinic.records import schedule
from dermadelta.clinic.records.choices import JobStatus, Verdict
from dermadelta.clinic.records.models import (
    Comparison,
    Consultation,
    Patient,
    Photo,
    TreatmentPlan,
    TreatmentSession,
)

TODAY = dt.date(2025, 3, 12)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def plan_for(
    patient: Patient, dates: list[dt.date], *, maintenance: dt.date | None = None, active: bool = True
) -> TreatmentPlan:
    """A stored plan whose snapshot has one session per date (numbered from 1)."""
    snapshot: dict[str, Any] = {
        "schema": "dermadelta.plan/1",
        "sessions": [
            {"number": n, "date": d.isoformat(), "depths": [{"zone": "forehead", "depth_mm": 0.25 + 0.05 * n}]}
            for n, d in enumerate(dates, start=1)
        ],
    }
    if maintenance is not None:
        snapshot["maintenance"] = {
            "from": maintenance.isoformat(),
            "until": (maintenance + dt.timedelta(180)).isoformat(),
        }
    return TreatmentPlan.objects.create(
        patient=patient, targets=["texture:forehead"], start=dates[0], plan=snapshot, active=active
    )


def chart(patient: Patient, number: int, on: dt.date, plan: TreatmentPlan | None = None) -> TreatmentSession:
    return TreatmentSession.objects.create(patient=patient, plan=plan, number=number, on=on, depths={"forehead": 0.3})


def photo(patient: Patient, status: str, name: str) -> Photo:
    row = Photo(patient=patient, sha256=name * 64, width=10, height=10, status=status)
    row.original.save(f"{name}-original", ContentFile(b"x"), save=False)
    row.display.save(f"{name}-display.jpg", ContentFile(b"x"), save=False)
    row.save()
    return row


def consult(patient: Patient, on: dt.date, verdict: str, eligible_from: dt.date | None = None) -> Consultation:
    return Consultation.objects.create(
        patient=patient, on=on, zones=["forehead"], verdict=verdict, eligible_from=eligible_from
    )


@pytest.fixture
def harriet(harbour: Clinic) -> Patient:
    """A patient of the other clinic."""
    return Patient.objects.create(
        clinic=harbour, first_name="Harriet", last_name="Hale", date_of_birth=dt.date(1990, 1, 1)
    )


# --- today --------------------------------------------------------------------------------------------


def test_it_lists_sessions_planned_for_today_and_sessions_charted_today(riverside, patient, quinn):
    plan_for(patient, [days(-28), TODAY, days(28)])
    quinn_plan = plan_for(quinn, [days(-10)])
    chart(quinn, 2, TODAY, quinn_plan)  # charted today though not planned today

    rows = schedule.sessions_today(riverside, TODAY)

    assert [(r.patient, r.number, r.planned, r.charted) for r in rows] == [
        (patient, 2, True, False),
        (quinn, 2, False, True),
    ]


def test_it_shows_a_planned_session_once_it_is_charted_today(riverside, patient):
    plan = plan_for(patient, [days(-28), TODAY])
    session = chart(patient, 2, TODAY, plan)

    rows = schedule.sessions_today(riverside, TODAY)

    assert [(r.number, r.planned, r.session) for r in rows] == [(2, True, session)]


def test_it_leaves_out_a_planned_session_charted_on_another_day(riverside, patient):
    plan = plan_for(patient, [days(-28), TODAY])
    chart(patient, 2, days(-1), plan)  # done a day early

    assert schedule.sessions_today(riverside, TODAY) == []


def test_it_ignores_replaced_plans(riverside, patient):
    plan_for(patient, [TODAY], active=False)

    assert schedule.sessions_today(riverside, TODAY) == []
    assert schedule.due_patients(riverside, TODAY) == []


def test_it_lists_only_the_clinics_own_patients(riverside, harbour, patient, harriet):
    plan_for(harriet, [TODAY])
    chart(harriet, 1, TODAY)
    photo(harriet, JobStatus.FAILED, "h")
    consult(harriet, days(-3), Verdict.DEFER, days(30))
    consult(patient, days(-3), Verdict.GO)

    glance = schedule.day_at_glance(riverside, TODAY)

    assert (glance.sessions, glance.analyses, glance.due, glance.deferred, glance.referred) == ([], [], [], [], [])
    theirs = schedule.day_at_glance(harbour, TODAY)
    assert [r.patient for r in theirs.sessions] == [harriet, harriet]
    assert [r.patient for r in theirs.deferred] == [harriet]


# --- analyses ----------------------------------------------------------------------------------------


def test_it_lists_photos_and_comparisons_waiting_running_or_failed(riverside, patient):
    queued, running, failed = (photo(patient, s, n) for s, n in [("queued", "a"), ("running", "b"), ("failed", "c")])
    done = photo(patient, JobStatus.DONE, "d")
    waiting = Comparison.objects.create(patient=patient, before=done, after=failed, status=JobStatus.QUEUED)
    Comparison.objects.create(patient=patient, before=done, after=queued, status=JobStatus.DONE)

    rows = schedule.analyses_in_progress(riverside)

    assert [(r.kind, r.job.pk, r.status) for r in rows] == [
        ("photo", queued.pk, "queued"),
        ("photo", running.pk, "running"),
        ("photo", failed.pk, "failed"),
        ("comparison", waiting.pk, "queued"),
    ]
    assert [r.failed for r in rows] == [False, False, True, False]


# --- due -----------------------------------------------------------------------------------------------


def test_it_lists_a_session_due_within_seven_days_but_not_later(riverside, patient, quinn):
    plan_for(patient, [days(7)])
    plan_for(quinn, [days(8)])

    rows = schedule.due_patients(riverside, TODAY)

    assert [(r.patient, r.reason, r.number, r.days, r.overdue) for r in rows] == [(patient, "session", 1, 7, False)]


def test_it_lists_an_overdue_session_first(riverside, patient, quinn):
    plan = plan_for(patient, [days(-60), days(-30)])
    chart(patient, 1, days(-60), plan)
    plan_for(quinn, [TODAY])

    rows = schedule.due_patients(riverside, TODAY)

    assert [(r.patient, r.number, r.days, r.overdue) for r in rows] == [(patient, 2, -30, True), (quinn, 1, 0, False)]


def test_it_takes_the_session_after_the_highest_charted_as_the_next(riverside, patient):
    plan = plan_for(patient, [days(-60), days(-30), days(3)])
    chart(patient, 1, days(-60), plan)
    chart(patient, 3, days(-2), plan)  # session 2 was skipped and the plan moved on

    assert schedule.due_patients(riverside, TODAY) == []


def test_it_lists_maintenance_once_its_date_is_reached_until_a_session_is_charted(riverside, patient):
    plan = plan_for(patient, [days(-90), days(-60)], maintenance=days(-1))
    chart(patient, 1, days(-90), plan)
    chart(patient, 2, days(-60), plan)

    rows = schedule.due_patients(riverside, TODAY)
    assert [(r.reason, r.date, r.number) for r in rows] == [("maintenance", days(-1), None)]
    assert schedule.due_patients(riverside, days(-2)) == []  # not reached yet

    chart(patient, 3, TODAY, plan)
    assert schedule.due_patients(riverside, TODAY) == []


def test_it_survives_a_malformed_plan_snapshot(riverside, patient):
    TreatmentPlan.objects.create(
        patient=patient,
        targets=[],
        start=TODAY,
        plan={"sessions": [{"number": "x", "date": "soon"}, {"date": TODAY.isoformat()}, "junk"], "maintenance": 3},
    )

    glance = schedule.day_at_glance(riverside, TODAY)

    assert glance.sessions == [] and glance.due == []


def test_it_reads_the_depths_of_a_planned_session(patient):
    plan = plan_for(patient, [days(-28), TODAY])

    assert schedule.planned_session(plan, 2) == schedule.PlannedSession(2, TODAY, {"forehead": 0.35})
    assert schedule.planned_session(plan, 3) is None
    assert schedule.planned_session(None, 1) is None


# --- screening -----------------------------------------------------------------------------------------


def test_it_lists_patients_deferred_by_their_latest_screening_with_the_date_they_become_eligible(
    riverside, patient, quinn
):
    consult(patient, days(-20), Verdict.DEFER, days(40))
    consult(quinn, days(-40), Verdict.DEFER, days(-5))
    consult(quinn, days(-10), Verdict.DEFER, None)  # the latest one counts: no date, reassess

    rows = schedule.deferred_patients(riverside, TODAY)

    assert [(r.patient, r.eligible_from, r.eligible_now) for r in rows] == [
        (patient, days(40), False),
        (quinn, None, False),
    ]


def test_it_says_when_a_deferred_patient_is_eligible_now(riverside, patient):
    consult(patient, days(-20), Verdict.DEFER, days(-1))

    assert [r.eligible_now for r in schedule.deferred_patients(riverside, TODAY)] == [True]


def test_it_drops_a_deferral_once_a_later_consultation_clears_the_patient(riverside, patient):
    consult(patient, days(-40), Verdict.DEFER, days(-5))
    consult(patient, days(-2), Verdict.GO)

    assert schedule.deferred_patients(riverside, TODAY) == []


def test_it_lists_patients_referred_by_their_latest_screening(riverside, patient, quinn):
    referral = consult(patient, days(-3), Verdict.REFER)
    consult(quinn, days(-30), Verdict.REFER)
    consult(quinn, days(-1), Verdict.CAUTION)

    rows = schedule.referred_patients(riverside)

    assert [(r.patient, r.consultation) for r in rows] == [(patient, referral)]


def test_it_takes_today_in_the_clinics_time_zone(riverside, harbour, monkeypatch):
    late_evening_in_london = dt.datetime(2025, 3, 12, 23, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: late_evening_in_london)

    assert schedule.clinic_today(riverside) == dt.date(2025, 3, 12)
    harbour.time_zone = "Pacific/Kiritimati"  # UTC+14: already tomorrow
    assert schedule.clinic_today(harbour) == dt.date(2025, 3, 13)
    harbour.time_zone = "Not/AZone"  # falls back to the server's zone (London)
    assert schedule.clinic_today(harbour) == dt.date(2025, 3, 12)
