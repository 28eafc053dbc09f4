"""A stored treatment plan's care: the day-by-day schedule, the patient handout and the calendar file.

Everything is read from the stored plan (``dermadelta.plan/1``) and the care
schedule stored with it, never re-made under the current rule book: the handout,
the calendar, the care schedule on screen and the plan page always agree, and a
change of rules reaches a patient only through an explicit re-plan
(:func:`~dermadelta.clinic.records.actions.replan`). The handout is dated and
the calendar stamped with the day the plan was made, so the same plan always
gives the same files. A stored plan that cannot be read raises
:class:`~dermadelta.clinic.records.actions.ActionError` with the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from dermadelta.clinic.records.actions import ActionError, screening_of
from dermadelta.clinic.records.models import TreatmentPlan
from dermadelta.errors import InputError
from dermadelta.protocol.calendar import plan_calendar, time_zone
from dermadelta.protocol.care import PHASE_LABELS, CareItem, CareSchedule
from dermadelta.protocol.plan import Plan
from dermadelta.protocol.rulebook import load_rulebook
from dermadelta.protocol.screening import Screening


@dataclass(frozen=True)
class PlanCare:
    """The protocol plan a stored plan was made from, its care schedule and where it is kept."""

    plan: Plan
    care: CareSchedule
    screening: Screening | None
    tz: str
    clinic: str
    prepared: dt.date
    stamp: dt.datetime


def plan_care(treatment_plan: TreatmentPlan) -> PlanCare:
    """``treatment_plan`` as stored and its care schedule, in its clinic's time zone."""
    clinic = treatment_plan.patient.clinic
    try:
        zone = time_zone(clinic.time_zone)
        plan = treatment_plan.protocol_plan()
        screening = screening_of(treatment_plan.consultation) if treatment_plan.consultation else None
        care = treatment_plan.care_schedule()
    except InputError as error:
        raise ActionError(str(error)) from None
    stamp = treatment_plan.created_at or timezone.now()
    return PlanCare(
        plan=plan,
        care=care,
        screening=screening,
        tz=clinic.time_zone,
        clinic=clinic.name,
        prepared=timezone.localdate(stamp, timezone=zone),
        stamp=stamp,
    )


def care_rows(care: CareSchedule) -> list[dict[str, Any]]:
    """The schedule for a page: per session, its items grouped by phase (before, expect, aftercare)."""
    rows = []
    for session in care.sessions:
        groups = []
        for phase, label in PHASE_LABELS.items():
            items: list[CareItem] = [item for item in session.items if item.phase == phase]
            if items:
                groups.append({"phase": phase, "label": label, "items": items})
        rows.append(
            {
                "session": session.session,
                "date": session.date,
                "depth_mm": session.depth_mm,
                "downtime_days": session.downtime_days,
                "groups": groups,
            }
        )
    return rows


def handout_html(treatment_plan: TreatmentPlan, *, care: PlanCare | None = None) -> str:
    """The printable patient handout (self-contained HTML)."""
    from dermadelta.reports.handout import handout_html as render_handout

    care = care or plan_care(treatment_plan)
    try:
        patient = treatment_plan.patient
        return render_handout(
            care.plan,
            care.care,
            tz=care.tz,
            prepared=care.prepared,
            screening=care.screening,
            clinic=care.clinic,
            patient=patient.full_name,
            phone=patient.clinic.phone,
        )
    except InputError as error:
        raise ActionError(str(error)) from None


def handout_pdf(treatment_plan: TreatmentPlan) -> bytes:
    """The patient handout as a PDF document."""
    from dermadelta.reports.pdf import pdf_bytes

    return pdf_bytes(handout_html(treatment_plan))


def calendar_ics(treatment_plan: TreatmentPlan) -> bytes:
    """The plan's sessions and care reminders as an iCalendar file, in the clinic's time zone."""
    care = plan_care(treatment_plan)
    try:
        return plan_calendar(care.plan, care.care, tz=care.tz, stamp=care.stamp, clinic=care.clinic)
    except InputError as error:
        raise ActionError(str(error)) from None


def download_name(treatment_plan: TreatmentPlan, suffix: str) -> str:
    """A file name without the patient's name (downloads end up in shared folders and mail)."""
    return f"treatment-plan-{treatment_plan.start.isoformat()}-{treatment_plan.pk}.{suffix}"


def zone_label(zone_id: str) -> str:
    """A zone's name for people, or its id when the rule book no longer has it."""
    zone = load_rulebook().zones.get(zone_id)
    return zone.label if zone else zone_id


def concern_label(concern_id: str) -> str:
    concern = load_rulebook().concerns.get(concern_id)
    return concern.label if concern else concern_id
