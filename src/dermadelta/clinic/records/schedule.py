"""The clinic's day at a glance: who is treated today, what the worker still has to do, who is due, who waits.

Plain functions of a clinic and a day (``today`` in the clinic's time zone, see
:func:`clinic_today`); they read and never change anything, and each answers
with a few queries for the whole clinic (no query per patient). The page that
shows them writes the audit entry.

- *Today*: the sessions of the active plans dated today (from the plan's
  snapshot, ``plan["sessions"][i]["date"]``) and the sessions charted today.
- *Analyses in progress*: photos and comparisons queued, being analysed or
  failed (a failed job waits for someone to retry it).
- *Due*: the next session of an active plan, i.e. the first planned session
  after the highest number charted under that plan, when it falls within the
  next :data:`DUE_WITHIN_DAYS` days or is overdue; or, once every planned
  session is charted, maintenance from the plan's ``maintenance.from`` date
  until a session is charted on or after that date.
- *Deferred* and *referred*: patients whose latest consultation's screening
  verdict is "defer" (with the date they become eligible, if the screening gave
  one) or "refer".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from dermadelta.clinic.accounts.models import Clinic
from dermadelta.clinic.records.choices import JobStatus, Verdict
from dermadelta.clinic.records.models import (
    Comparison,
    Consultation,
    Patient,
    Photo,
    TreatmentPlan,
    TreatmentSession,
)
from dermadelta.errors import InputError
from dermadelta.protocol.calendar import time_zone

#: A planned session is "due" from this many days ahead (and stays due while overdue).
DUE_WITHIN_DAYS = 7
#: Job states that still need the worker or a person.
IN_PROGRESS = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED)

SESSION, MAINTENANCE = "session", "maintenance"


def clinic_today(clinic: Clinic | None) -> dt.date:
    """Today in the clinic's time zone (the server's zone if the clinic's is unknown)."""
    try:
        zone = time_zone(clinic.time_zone) if clinic is not None else None
    except InputError:
        zone = None
    return timezone.localdate(timezone=zone)


# --- the plan snapshot ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedSession:
    """One session of a stored plan (``dermadelta.plan/1``): its number, date and depth per zone."""

    number: int
    date: dt.date
    depths: Mapping[str, float] = field(default_factory=dict)

    @property
    def max_depth_mm(self) -> float:
        return max(self.depths.values(), default=0.0)


def planned_sessions(plan: TreatmentPlan) -> list[PlannedSession]:
    """The sessions of ``plan``'s snapshot in date order; a malformed row is left out, never a crash."""
    rows = []
    sessions = plan.plan.get("sessions", []) if isinstance(plan.plan, dict) else []
    for session in sessions if isinstance(sessions, list) else []:
        try:
            number = int(session["number"])
            date = dt.date.fromisoformat(session["date"])
        except (KeyError, TypeError, ValueError):
            continue
        rows.append(PlannedSession(number, date, _depths(session.get("depths"))))
    return sorted(rows, key=lambda row: (row.date, row.number))


def _depths(raw: Any) -> dict[str, float]:
    """``[{"zone": "chin", "depth_mm": 1.0}, ...]`` as ``{"chin": 1.0}`` (bad rows left out)."""
    depths: dict[str, float] = {}
    for row in raw if isinstance(raw, list) else []:
        try:
            zone, depth = str(row["zone"]), float(row["depth_mm"])
        except (KeyError, TypeError, ValueError):
            continue
        depths[zone] = depth
    return depths


def planned_session(plan: TreatmentPlan | None, number: int) -> PlannedSession | None:
    """The session numbered ``number`` in ``plan``, if the plan has one."""
    if plan is None:
        return None
    return next((row for row in planned_sessions(plan) if row.number == number), None)


def maintenance_from(plan: TreatmentPlan) -> dt.date | None:
    try:
        return dt.date.fromisoformat(plan.plan["maintenance"]["from"])
    except (KeyError, TypeError, ValueError):
        return None


def _active_plans(clinic: Clinic) -> list[TreatmentPlan]:
    return list(TreatmentPlan.objects.filter(patient__clinic=clinic, active=True).select_related("patient"))


def _charted_numbers(plans: Iterable[TreatmentPlan]) -> dict[int, set[int]]:
    """Session numbers charted under each plan, by plan id."""
    charted: dict[int, set[int]] = {}
    rows = TreatmentSession.objects.filter(plan__in=list(plans)).values_list("plan_id", "number")
    for plan_id, number in rows:
        charted.setdefault(plan_id, set()).add(number)
    return charted


# --- today ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TodaySession:
    """A session of today: planned in an active plan, charted, or both."""

    patient: Patient
    number: int
    planned: bool
    session: TreatmentSession | None = None

    @property
    def charted(self) -> bool:
        return self.session is not None


def sessions_today(clinic: Clinic, today: dt.date) -> list[TodaySession]:
    """Sessions planned for ``today`` and not charted yet, and every session charted on ``today``."""
    plans = _active_plans(clinic)
    charted = _charted_numbers(plans)
    planned_today = {
        (plan.pk, row.number): plan for plan in plans for row in planned_sessions(plan) if row.date == today
    }
    rows = [
        TodaySession(s.patient, s.number, planned=(s.plan_id, s.number) in planned_today, session=s)
        for s in TreatmentSession.objects.filter(patient__clinic=clinic, on=today).select_related("patient")
    ]
    for (plan_id, number), plan in planned_today.items():
        if number not in charted.get(plan_id, set()):
            rows.append(TodaySession(plan.patient, number, planned=True))
    return sorted(rows, key=lambda row: (row.patient.last_name, row.patient.first_name, row.patient.pk, row.number))


# --- analyses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    """A photo analysis or a comparison that is not done: waiting, running, or failed."""

    kind: str  # "photo" or "comparison"
    job: Photo | Comparison
    patient: Patient
    status: str
    since: dt.datetime

    @property
    def url_name(self) -> str:
        return self.kind

    @property
    def failed(self) -> bool:
        return self.status == JobStatus.FAILED


def analyses_in_progress(clinic: Clinic) -> list[Analysis]:
    """The clinic's photos and comparisons queued, running or failed, oldest first."""
    photos = Photo.objects.filter(patient__clinic=clinic, status__in=IN_PROGRESS).select_related("patient")
    comparisons = Comparison.objects.filter(patient__clinic=clinic, status__in=IN_PROGRESS).select_related(
        "patient", "before", "after"
    )
    rows = [Analysis("photo", p, p.patient, p.status, p.uploaded_at) for p in photos]
    rows += [Analysis("comparison", c, c.patient, c.status, c.created_at) for c in comparisons]
    return sorted(rows, key=lambda row: (row.since, row.kind, row.job.pk))


# --- due -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A patient due for their next planned session, or for maintenance."""

    patient: Patient
    plan: TreatmentPlan
    reason: str  # SESSION or MAINTENANCE
    date: dt.date
    days: int  # from today; negative when overdue
    number: int | None = None

    @property
    def overdue(self) -> bool:
        return self.days < 0


def due_patients(clinic: Clinic, today: dt.date, *, within_days: int = DUE_WITHIN_DAYS) -> list[Due]:
    """Patients whose next planned session is at most ``within_days`` away or overdue, or due for maintenance."""
    plans = _active_plans(clinic)
    charted = _charted_numbers(plans)
    last_charted = dict(
        TreatmentSession.objects.filter(patient__clinic=clinic)
        .values("patient_id")
        .annotate(last=Max("on"))
        .values_list("patient_id", "last")
    )
    horizon = today + dt.timedelta(days=within_days)
    rows = []
    for plan in plans:
        done = charted.get(plan.pk, set())
        highest = max(done, default=0)
        upcoming = sorted((row for row in planned_sessions(plan) if row.number > highest), key=lambda r: r.number)
        if upcoming:
            following = upcoming[0]
            if following.date <= horizon:
                days = (following.date - today).days
                rows.append(Due(plan.patient, plan, SESSION, following.date, days, following.number))
            continue
        start = maintenance_from(plan)
        latest = last_charted.get(plan.patient_id)
        if start is not None and start <= today and (latest is None or latest < start):
            rows.append(Due(plan.patient, plan, MAINTENANCE, start, (start - today).days))
    return sorted(rows, key=lambda row: (row.date, row.patient.last_name, row.patient.first_name, row.patient.pk))


# --- screening -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Screened:
    """A patient held back by their latest consultation's screening."""

    patient: Patient
    consultation: Consultation
    eligible_from: dt.date | None
    eligible_now: bool = False


def _latest_consultations(clinic: Clinic, verdict: Verdict) -> QuerySet[Consultation]:
    latest = Consultation.objects.filter(patient=OuterRef("pk")).order_by("-on", "-id").values("pk")[:1]
    latest_ids = Patient.objects.filter(clinic=clinic).annotate(latest=Subquery(latest)).values("latest")
    return Consultation.objects.filter(pk__in=latest_ids, verdict=verdict).select_related("patient")


def deferred_patients(clinic: Clinic, today: dt.date) -> list[Screened]:
    """Patients whose latest screening said "defer", soonest eligible first (no date given: last)."""
    rows = [
        Screened(c.patient, c, c.eligible_from, c.eligible_from is not None and c.eligible_from <= today)
        for c in _latest_consultations(clinic, Verdict.DEFER)
    ]
    return sorted(rows, key=lambda r: (r.eligible_from is None, r.eligible_from or today, r.patient.last_name))


def referred_patients(clinic: Clinic) -> list[Screened]:
    """Patients whose latest screening referred them to a physician, most recent consultation first."""
    rows = [Screened(c.patient, c, None) for c in _latest_consultations(clinic, Verdict.REFER)]
    return sorted(rows, key=lambda r: (-r.consultation.on.toordinal(), -r.consultation.pk))


# --- all of it -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayAtGlance:
    today: dt.date
    sessions: list[TodaySession]
    analyses: list[Analysis]
    due: list[Due]
    deferred: list[Screened]
    referred: list[Screened]


def day_at_glance(clinic: Clinic, today: dt.date) -> DayAtGlance:
    """Everything the dashboard shows for ``clinic`` on ``today``."""
    return DayAtGlance(
        today=today,
        sessions=sessions_today(clinic, today),
        analyses=analyses_in_progress(clinic),
        due=due_patients(clinic, today),
        deferred=deferred_patients(clinic, today),
        referred=referred_patients(clinic),
    )
