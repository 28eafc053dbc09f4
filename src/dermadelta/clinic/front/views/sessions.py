"""Session charting: the chart form (pre-filled from the active plan) and the charted session's page.

The chart is saved by :func:`records.actions.chart_session`, which refuses a
session without treatment consent and runs ``TreatmentSession.clean()`` (a date
not in the future nor before the patient's birth, depths within the zone's and
the device's caps) and a session that departs from the active plan (too soon
after another, before the plan allows, a zone not screened or not planned, deeper
than planned) unless overridden with a reason; the form shows the reasons on
their fields, and the departures above the override, which then shows on the
session's page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dermadelta.clinic.accounts.access import Actor, staff_required
from dermadelta.clinic.front.forms.sessions import SessionForm
from dermadelta.clinic.front.views.patients import add_errors
from dermadelta.clinic.records import actions, care
from dermadelta.clinic.records.access import get_patient, get_record
from dermadelta.clinic.records.choices import ConsentKind
from dermadelta.clinic.records.models import MAX_SESSION_NUMBER, Patient, TreatmentSession
from dermadelta.clinic.records.schedule import clinic_today, planned_session
from dermadelta.protocol.charting import Deviation
from dermadelta.protocol.rulebook import load_rulebook


def _asked_number(request: HttpRequest, patient: Patient) -> int:
    """The session number to chart: ``?number=`` when it is a sensible one, else the next after those charted."""
    asked = request.GET.get("number", "")[:3]
    if asked.isascii() and asked.isdigit() and 1 <= int(asked) <= MAX_SESSION_NUMBER:
        return int(asked)
    highest = patient.sessions.aggregate(highest=Max("number"))["highest"] or 0
    return min(highest + 1, MAX_SESSION_NUMBER)


@staff_required
def session_new(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    patient = get_patient(request, actor, pk, detail="session chart form")
    book = load_rulebook()
    plan = actions.active_plan(patient)
    number = _asked_number(request, patient)
    planned = planned_session(plan, number)
    form = SessionForm(
        request.POST or None,
        book=book,
        patient=patient,
        today=clinic_today(patient.clinic),
        number=number,
        device=plan.device if plan is not None else "pen",
        planned_depths=planned.depths if planned is not None else None,
    )
    deviations: tuple[Deviation, ...] = ()
    if request.method == "POST" and form.is_valid():
        try:
            session = actions.chart_session(patient, form.session_fields(), by=request.user, request=request)
        except actions.OutsidePlan as error:  # shown with the override, not as field errors
            deviations = error.deviations
            if form.cleaned_data.get("override"):
                form.add_error("override_reason", "Give the reason for charting this session outside the plan.")
        except ValidationError as error:  # an ActionError (no consent) or the model's own rules (caps)
            add_errors(form, error)
        else:
            outside = " It is recorded as charted outside the plan." if session.deviations else ""
            messages.success(request, f"Session {session.number} is charted.{outside}")
            return redirect("session", pk=session.pk)
    context = {
        "patient": patient,
        "form": form,
        "plan": plan,
        "planned": planned,
        "can_treat": patient.has_consent(ConsentKind.TREATMENT),
        "deviations": deviations,
    }
    return render(request, "front/sessions/form.html", context, status=400 if request.method == "POST" else 200)


@staff_required
def session_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    session = get_record(request, actor, TreatmentSession, pk)
    planned = planned_session(session.plan, session.number)
    planned_depths = dict(planned.depths) if planned is not None else {}
    zones = list(session.depths) + [z for z in planned_depths if z not in session.depths]
    depths: list[dict[str, Any]] = [
        {"zone": care.zone_label(zone), "depth": session.depths.get(zone), "planned": planned_depths.get(zone)}
        for zone in zones
    ]
    book = load_rulebook()
    device = book.devices.get(session.device)
    context = {
        "session": session,
        "patient": session.patient,
        "depths": depths,
        "has_plan_row": planned is not None,
        "device": device.label if device is not None else session.device,
        "photos": list(session.photos.order_by("uploaded_at", "id")),
    }
    return render(request, "front/sessions/detail.html", context)
