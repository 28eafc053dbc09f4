"""Patient pages: the clinic's patient list, a new patient, the patient's page (the hub of the record), consents.

Staff only: patients see their own record in the portal. Every change goes
through an action (:mod:`records.actions`, :mod:`records.patient_actions`),
which validates and audits it; every read of a record goes through
:mod:`records.access`, which answers 404 to anyone outside the patient's clinic.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from dermadelta.clinic.accounts.access import Actor, staff_required
from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.front.forms.patients import (
    MAX_SEARCH,
    ConsentForm,
    PatientForm,
    PatientSearchForm,
    WithdrawForm,
)
from dermadelta.clinic.records import actions, care
from dermadelta.clinic.records.access import get_patient, get_record, reachable, visible
from dermadelta.clinic.records.choices import ConsentKind
from dermadelta.clinic.records.models import Consent, Patient, Photo
from dermadelta.clinic.records.patient_actions import update_patient
from dermadelta.clinic.records.portal_access import has_access, pending_invitation
from dermadelta.clinic.records.schedule import clinic_today, maintenance_from, planned_sessions

PATIENTS_PER_PAGE = 50

#: What each consent covers, in plain words.
CONSENT_WORDS = {
    ConsentKind.TREATMENT: "Microneedling treatment: needed before a plan is made or a session is charted.",
    ConsentKind.PHOTOGRAPHY: "Clinical photos for the record and the measured results: needed before photos are taken.",
    ConsentKind.MARKETING: "Use of the photos, without the patient's name, in the clinic's marketing.",
}


def add_errors(form: BaseForm, error: ValidationError) -> None:
    """Show a refused change's reasons on the form: on their field where the form has it, else above it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- the list and a new patient ----------------------------------------------------------------------


@staff_required
def patient_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    search = PatientSearchForm({"q": request.GET.get("q", "")[:MAX_SEARCH]})
    words = search.words()
    patients = visible(actor, Patient)
    if words is None:
        patients = patients.none()
    for word in words or []:
        patients = patients.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    page = Paginator(patients.order_by("last_name", "first_name", "id"), PATIENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = " ".join(words or [])
    assert actor.clinic is not None
    record(request, AuditAction.VIEW, actor.clinic, detail=f"patient list{f' (search: {query})' if query else ''}")
    return render(request, "front/patients/list.html", {"search": search, "page": page, "query": query})


@staff_required
def patient_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert actor.clinic is not None
        try:
            patient = actions.create_patient(actor.clinic, form.details(), by=request.user, request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{patient.full_name} is now a patient of {actor.clinic.name}.")
            return redirect("patient", pk=patient.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "front/patients/form.html", {"form": form, "patient": None}, status=status)


# --- the patient's page ------------------------------------------------------------------------------


@staff_required
def patient_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    patient = get_patient(request, actor, pk)
    photos = sorted(patient.photos.select_related("session"), key=lambda p: (p.day, p.pk))
    usable = [photo for photo in photos if photo.usable]
    context = {
        "patient": patient,
        "today": clinic_today(patient.clinic),
        "consents": _consents(patient),
        "consultations": list(patient.consultations.all()),
        "plan": _plan_summary(patient),
        "earlier_plans": list(patient.plans.filter(active=False)),
        "sessions": list(patient.sessions.select_related("practitioner")),
        "photos": photos,
        "usable": usable,
        "compare_after": usable[-1].pk if usable else None,
        "comparisons": list(patient.comparisons.select_related("before__session", "after__session")),
        "hidden_photos": list(
            Photo.with_hidden.filter(patient=patient, hidden_at__isnull=False).select_related("session", "hidden_by")
        ),
        "can_photograph": patient.has_consent(ConsentKind.PHOTOGRAPHY),
        "can_treat": patient.has_consent(ConsentKind.TREATMENT),
        "portal_access": has_access(patient),
        "portal_invitation": pending_invitation(patient),
    }
    return render(request, "front/patients/detail.html", context)


def _consents(patient: Patient) -> list[dict[str, Any]]:
    """Each kind of consent with its active grant (if any) and its history of withdrawn grants."""
    rows = list(patient.consents.select_related("granted_by", "withdrawn_by"))
    return [
        {
            "kind": kind.value,
            "label": kind.label,
            "words": CONSENT_WORDS[kind],
            "active": next((c for c in rows if c.kind == kind and c.active), None),
            "history": [c for c in rows if c.kind == kind and not c.active],
        }
        for kind in ConsentKind
    ]


def _plan_summary(patient: Patient) -> dict[str, Any] | None:
    plan = actions.active_plan(patient)
    if plan is None:
        return None
    charted = set(patient.sessions.filter(plan=plan).values_list("number", flat=True))
    sessions = [{"number": s.number, "date": s.date, "charted": s.number in charted} for s in planned_sessions(plan)]
    targets = []
    for spec in plan.plan.get("targets", []) if isinstance(plan.plan, dict) else []:
        if isinstance(spec, dict):
            zones = ", ".join(care.zone_label(str(z)) for z in spec.get("zones", []))
            targets.append(f"{care.concern_label(str(spec.get('concern', '')))}: {zones}")
    return {
        "plan": plan,
        "targets": targets,
        "sessions": sessions,
        "next": next((s for s in sessions if not s["charted"]), None),
        "maintenance_from": maintenance_from(plan),
    }


@staff_required
def patient_edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    patient = get_patient(request, actor, pk, detail="edit form")
    # The form works on a copy: a refused change must not show on the page as if it were saved.
    form = PatientForm(request.POST or None, instance=copy.copy(patient))
    if request.method == "POST" and form.is_valid():
        try:
            update_patient(patient, form.details(), by=request.user, request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "The patient's details are saved.")
            return redirect("patient", pk=patient.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "front/patients/form.html", {"form": form, "patient": patient}, status=status)


# --- consents ------------------------------------------------------------------------------------------


def _consents_url(patient: Patient) -> str:
    return f"{reverse('patient', args=[patient.pk])}#consents"


@staff_required
def consent_grant(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """POST ``kind`` (and an optional ``note``): record that the patient gave this consent today."""
    # The grant itself is audited by the action; a stranger gets 404 before anything is read or written.
    patient = reachable(request, actor, Patient, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ConsentForm(request.POST)
    if not form.is_valid():
        if "kind" in form.errors:
            messages.error(request, "Choose which consent to record: treatment, photography or marketing.")
        else:
            messages.error(request, f"The note was not saved: {' '.join(str(e) for e in form.errors.get('note', []))}")
        return redirect(_consents_url(patient))
    kind = ConsentKind(form.cleaned_data["kind"])
    try:
        actions.grant_consent(patient, kind, by=request.user, note=form.cleaned_data["note"], request=request)
    except actions.ActionError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{kind.label} consent recorded.")
    return redirect(_consents_url(patient))


@staff_required
def consent_withdraw(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """GET (or POST without confirmation): ask to confirm. POST with ``confirm``: withdraw the consent now."""
    if request.method == "POST" and WithdrawForm(request.POST).is_valid():
        consent = reachable(request, actor, Consent, pk)
        try:
            actions.withdraw_consent(consent, by=request.user, request=request)
        except actions.ActionError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{consent.get_kind_display()} consent withdrawn.")
        return redirect(_consents_url(consent.patient))
    consent = get_record(request, actor, Consent, pk, detail="withdrawal confirmation")
    context = {"consent": consent, "patient": consent.patient, "words": CONSENT_WORDS[ConsentKind(consent.kind)]}
    return render(request, "front/patients/consent_withdraw.html", context)
