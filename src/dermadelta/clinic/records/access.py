"""The records an actor may see, and audited look-ups that answer 404 to everyone else.

A stranger (staff of another clinic, another patient) gets exactly what a
missing record gets, so not even the existence of a record leaks; the refusal
itself is a security event in the audit log and the application log.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from dermadelta.clinic.accounts.access import Actor
from dermadelta.clinic.audit.log import record, refused
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records.models import Patient

M = TypeVar("M", bound=Model)


def patients_of(actor: Actor) -> QuerySet[Patient]:
    if actor.is_staff_member:
        return Patient.objects.filter(clinic=actor.clinic)
    if actor.is_patient and actor.patient is not None:
        return Patient.objects.filter(pk=actor.patient.pk)
    return Patient.objects.none()


def _rows(model: type[M], *, hidden: bool) -> QuerySet[M]:
    # ``with_hidden``: the manager of a model whose default one leaves hidden rows out.
    manager = model.with_hidden if hidden else model._default_manager  # type: ignore[attr-defined]
    return manager.all()


def visible(actor: Actor, model: type[M], *, hidden: bool = False) -> QuerySet[M]:
    """Rows of ``model`` (which has a ``patient``) that belong to the actor's patients; with
    ``hidden``, hidden rows too."""
    if model is Patient:
        return patients_of(actor)  # type: ignore[return-value]
    return _rows(model, hidden=hidden).filter(patient__in=patients_of(actor))


def reachable(request: HttpRequest, actor: Actor, model: type[M], pk: object, *, hidden: bool = False) -> M:
    """The actor's record of type ``model``, or 404; asking for someone else's record is audited as refused.

    Not a "viewed" entry: the caller audits what it does with the record (a change's action does).
    ``hidden``: a hidden record can be reached too (to show it again).
    """
    related = "clinic" if model is Patient else "patient__clinic"
    try:
        return get_object_or_404(visible(actor, model, hidden=hidden).select_related(related), pk=pk)
    except Http404:
        other = _rows(model, hidden=hidden).select_related(related).filter(pk=pk).first()
        if other is not None:  # it exists, but not for this actor (a missing record is no event)
            owner = other if isinstance(other, Patient) else other.patient  # type: ignore[attr-defined]
            refused(request, other, patient=owner)
        raise


def get_patient(
    request: HttpRequest, actor: Actor, pk: object, *, action: AuditAction = AuditAction.VIEW, detail: str = ""
) -> Patient:
    patient = reachable(request, actor, Patient, pk)
    record(request, action, patient, patient=patient, detail=detail)
    return patient


def get_record(
    request: HttpRequest,
    actor: Actor,
    model: type[M],
    pk: object,
    *,
    action: AuditAction | None = AuditAction.VIEW,
    detail: str = "",
) -> M:
    """A patient's record of type ``model`` (photo, comparison, session...), audited, or 404.

    ``action=None`` writes no entry: for a status the viewing page polls, whose viewing was audited once.
    """
    obj = reachable(request, actor, model, pk)
    if action is not None:
        record(request, action, obj, patient=obj.patient, detail=detail)  # type: ignore[attr-defined]
    return obj
