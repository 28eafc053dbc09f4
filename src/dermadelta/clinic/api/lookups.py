"""Look-ups for a change: the record the caller may change, or 404, without a "viewed" audit entry.

As in the web views that only change a record (recording a consent), the
action writes the audit entry of the change; reads go through
:mod:`dermadelta.clinic.records.access`, which audits them.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model
from django.http import HttpRequest

from dermadelta.clinic.api.auth import actor
from dermadelta.clinic.records.access import reachable
from dermadelta.clinic.records.models import Patient

M = TypeVar("M", bound=Model)


def patient_to_change(request: HttpRequest, pk: int) -> Patient:
    return reachable(request, actor(request), Patient, pk)


def record_to_change(request: HttpRequest, model: type[M], pk: int) -> M:
    return reachable(request, actor(request), model, pk)
