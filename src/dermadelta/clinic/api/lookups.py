"""Look-ups for a change: the record the caller may change, or 404, without a "viewed" audit entry.

As in the web views that only change a record (recording a consent), the
action writes the audit entry of the change; reads go through
:mod:`dermadelta.clinic.records.access`, which audits them.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model
from django.shortcuts import get_object_or_404

from dermadelta.clinic.accounts.access import Actor
from dermadelta.clinic.records.access import visible
from dermadelta.clinic.records.models import Patient

M = TypeVar("M", bound=Model)


def patient_to_change(caller: Actor, pk: int) -> Patient:
    return get_object_or_404(visible(caller, Patient).select_related("clinic"), pk=pk)


def record_to_change(caller: Actor, model: type[M], pk: int) -> M:
    return get_object_or_404(visible(caller, model).select_related("patient__clinic"), pk=pk)
