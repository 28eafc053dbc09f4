"""Consultation (intake questionnaire and screening verdict), treatment plan, and the care downloads."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dermadelta.clinic.accounts.access import Actor, member_required, staff_required
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.front.forms.consultation import NONE_APPLY, ConsultationForm, PlanForm
from dermadelta.clinic.front.views.patients import add_errors
from dermadelta.clinic.records import actions, care
from dermadelta.clinic.records.access import get_patient, get_record
from dermadelta.clinic.records.choices import ConsentKind, Verdict
from dermadelta.clinic.records.models import Consultation, Patient, TreatmentPlan
from dermadelta.clinic.records.schedule import clinic_today
from dermadelta.errors import InputError
from dermadelta.protocol.rulebook import RuleBook, load_rulebook

#: What each verdict means, in plain words, for the consultation page.
VERDICT_WORDS = {
    Verdict.GO: "No reason not to treat was found: treatment can go ahead.",
    Verdict.CAUTION: "Treatment can go ahead, taking the precautions below.",
    Verdict.DEFER: "Not yet: treatment has to wait.",
    Verdict.REFER: "Do not treat: the patient needs a physician's assessment first.",
}


def _action_errors(form: Any, error: actions.ActionError) -> None:
    for message in error.messages:
        form.add_error(None, message)


# --- consultation ------------------------------------------------------------------------------------


@staff_required
def consultation_new(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    patient = get_patient(request, actor, pk, detail="consultation form")
    book = load_rulebook()
    today = clinic_today(patient.clinic)
    if request.method == "POST" and NONE_APPLY in request.POST:
        return _none_apply(request, patient, book, today)
    form = ConsultationForm(request.POST if request.method == "POST" else None, book=book, patient=patient, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = actions.record_consultation(
                patient,
                on=form.cleaned_data["on"],
                zones=form.cleaned_data["zones"],
                answers=form.answers(),
                by=request.user,
                request=request,
            )
        except actions.ActionError as error:
            _action_errors(form, error)
        else:
            return redirect("consultation", pk=consultation.pk)
    return render(
        request,
        "front/consultation/consultation_form.html",
        {"patient": patient, "form": form, "book": book},
        status=400 if request.method == "POST" else 200,
    )


def _none_apply(request: HttpRequest, patient: Patient, book: RuleBook, today: dt.date) -> HttpResponse:
    """A section's "None of these apply": the form again, its unanswered questions answered "none"; nothing recorded."""
    given = ConsultationForm(request.POST, book=book, patient=patient, today=today, check=False)
    section = request.POST.get(NONE_APPLY, "")
    if section in {s.id for s in given.sections()}:
        form = ConsultationForm(
            given.none_apply(section), book=book, patient=patient, today=today, check=False, filled=section
        )
        status = 200
    else:
        form = given
        form.add_error(None, "That part of the questionnaire does not exist: no answer was changed.")
        status = 400
    return render(
        request,
        "front/consultation/consultation_form.html",
        {"patient": patient, "form": form, "book": book},
        status=status,
    )


@staff_required
def consultation_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    wants_fhir = request.GET.get("format") == "fhir"
    consultation = get_record(
        request,
        actor,
        Consultation,
        pk,
        action=AuditAction.DOWNLOAD if wants_fhir else AuditAction.VIEW,
        detail="FHIR QuestionnaireResponse" if wants_fhir else "",
    )
    if wants_fhir:
        return _questionnaire_response(consultation)
    book = load_rulebook()
    screening: dict[str, Any] = consultation.screening or {}
    latest = consultation.patient.consultations.first()
    return render(
        request,
        "front/consultation/consultation_detail.html",
        {
            "consultation": consultation,
            "patient": consultation.patient,
            "verdict_words": VERDICT_WORDS.get(Verdict(consultation.verdict), ""),
            "findings": [{**f, "until": _date_or_none(f.get("until"))} for f in screening.get("findings", [])],
            "earliest_date": _date_or_none(screening.get("earliest_date")),
            # A date confirmed "never" is stored empty, which the screening counts as unanswered: not listed.
            "unanswered": [
                _question_text(book, q) for q in screening.get("unanswered", []) if q not in consultation.answers
            ],
            "answers": _answer_rows(book, consultation.answers),
            "zones": [care.zone_label(z) for z in consultation.zones],
            "can_plan": consultation.verdict != Verdict.REFER,
            "is_latest": latest is not None and latest.pk == consultation.pk,
        },
    )


def _questionnaire_response(consultation: Consultation) -> HttpResponse:
    from dermadelta.protocol.fhir import questionnaire_response
    from dermadelta.protocol.screening import parse_intake

    try:
        intake = parse_intake({"answers": consultation.answers}, on=consultation.on, zones=consultation.zones)
        resource = questionnaire_response(intake, authored=consultation.on)
    except InputError as error:
        return HttpResponse(f"This intake cannot be exported: {error}", status=409, content_type="text/plain")
    response = HttpResponse(json.dumps(resource, indent=2), content_type="application/fhir+json")
    response["Content-Disposition"] = (
        f'attachment; filename="intake-{consultation.on.isoformat()}-{consultation.pk}.json"'
    )
    return response


def _date_or_none(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _question_text(book: RuleBook, question_id: str) -> str:
    question = book.questions.get(question_id)
    return question.text if question else question_id


def _answer_rows(book: RuleBook, answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question, answer) in words, in the questionnaire's order."""
    rows = []
    order = [q for q in book.questions if q in answers] + [q for q in answers if q not in book.questions]
    for question_id in order:
        value = answers[question_id]
        if value is None:
            shown = "Never"  # a date question confirmed "never"
        elif isinstance(value, bool):
            shown = "Yes" if value else "No"
        elif isinstance(value, list):
            shown = ", ".join(care.zone_label(z) for z in value) or "None"
        elif isinstance(value, dict):
            shown = "; ".join(f"{care.zone_label(z)}: {day}" for z, day in value.items())
        else:
            shown = str(value)
        rows.append((_question_text(book, question_id), shown))
    return rows


# --- treatment plan ------------------------------------------------------------------------------------


@staff_required
def plan_new(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    patient = get_patient(request, actor, pk, detail="plan form")
    consultation = patient.consultations.first()
    blocked = actions.planning_refusal(consultation)
    context: dict[str, Any] = {
        "patient": patient,
        "consultation": consultation,
        "blocked": blocked,
        "no_consent": not patient.has_consent(ConsentKind.TREATMENT),
    }
    if blocked or consultation is None:
        return render(
            request, "front/consultation/plan_form.html", context, status=409 if request.method == "POST" else 200
        )
    book = load_rulebook()
    form = PlanForm(
        request.POST if request.method == "POST" else None,
        book=book,
        consultation=consultation,
        today=clinic_today(patient.clinic),
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = actions.create_plan(
                patient, form.plan_request(), consultation=consultation, by=request.user, request=request
            )
        except actions.ActionError as error:
            add_errors(form, error)
        else:
            return redirect("plan", pk=plan.pk)
    context.update({"form": form, "book": book, "verdict_label": Verdict(consultation.verdict).label})
    return render(
        request, "front/consultation/plan_form.html", context, status=400 if request.method == "POST" else 200
    )


@staff_required
def plan_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    treatment_plan = get_record(request, actor, TreatmentPlan, pk)
    book = load_rulebook()
    snapshot: dict[str, Any] = treatment_plan.plan or {}
    schedule: list[dict[str, Any]] = []
    problem = ""
    care_notes: list[str] = []
    start_time = book.session.start_time
    try:
        stored = care.plan_care(treatment_plan)
    except actions.ActionError as error:
        problem = " ".join(error.messages)
    else:
        schedule = care.care_rows(stored.care)
        care_notes = list(stored.care.notes)
        start_time = (stored.plan.timing or book.session).start_time
    sessions = [
        {
            "number": s.get("number"),
            "date": _date_or_none(s.get("date")),
            "depths": [
                {"zone": care.zone_label(d.get("zone", "")), "depth_mm": d.get("depth_mm"), "cap_mm": d.get("cap_mm")}
                for d in s.get("depths", [])
            ],
            "addons": [book.addons[a].label if a in book.addons else a for a in s.get("addons", [])],
        }
        for s in snapshot.get("sessions", [])
    ]
    device = book.devices.get(treatment_plan.device)
    maintenance = snapshot.get("maintenance") or {}
    interval_days = snapshot.get("interval_days")
    return render(
        request,
        "front/consultation/plan_detail.html",
        {
            "tp": treatment_plan,
            "patient": treatment_plan.patient,
            "device": device.label if device else treatment_plan.device,
            "targets": [
                {
                    "concern": care.concern_label(t.get("concern", "")),
                    "zones": [care.zone_label(z) for z in t.get("zones", [])],
                }
                for t in snapshot.get("targets", [])
            ],
            "sessions": sessions,
            "interval_days": interval_days,
            "interval_weeks": interval_days // 7 if isinstance(interval_days, int) and interval_days % 7 == 0 else None,
            "maintenance_from": _date_or_none(maintenance.get("from")),
            "maintenance_until": _date_or_none(maintenance.get("until")),
            "not_before": _date_or_none(snapshot.get("not_before")),
            "notes": [*snapshot.get("notes", []), *care_notes],
            "event": snapshot.get("event"),
            "schedule": schedule,
            "problem": problem,
            "start_time": start_time,
            "tz": treatment_plan.patient.clinic.time_zone,
        },
    )


# --- downloads (open to the patient for their own plan) --------------------------------------------------


def _cannot_rebuild(request: HttpRequest, treatment_plan: TreatmentPlan, error: actions.ActionError) -> HttpResponse:
    return render(
        request,
        "front/consultation/plan_unavailable.html",
        {"tp": treatment_plan, "reason": " ".join(error.messages)},
        status=409,
    )


# The printable handout is one self-contained document with its styles inline (as its PDF is); still no script.
@csp_update({"style-src": [UNSAFE_INLINE]})  # type: ignore[arg-type]  # its stub allows views of one argument only
@member_required
def plan_handout(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    as_html = request.GET.get("format") == "html"
    treatment_plan = get_record(
        request,
        actor,
        TreatmentPlan,
        pk,
        action=AuditAction.DOWNLOAD,
        detail="handout HTML" if as_html else "handout PDF",
    )
    try:
        if as_html:
            return HttpResponse(care.handout_html(treatment_plan), content_type="text/html; charset=utf-8")
        data = care.handout_pdf(treatment_plan)
    except actions.ActionError as error:
        return _cannot_rebuild(request, treatment_plan, error)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{care.download_name(treatment_plan, "pdf")}"'
    return response


@member_required
def plan_calendar(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    treatment_plan = get_record(request, actor, TreatmentPlan, pk, action=AuditAction.DOWNLOAD, detail="calendar")
    try:
        data = care.calendar_ics(treatment_plan)
    except actions.ActionError as error:
        return _cannot_rebuild(request, treatment_plan, error)
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{care.download_name(treatment_plan, "ics")}"'
    return response
