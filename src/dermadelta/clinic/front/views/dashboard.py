"""The staff dashboard: today's sessions, analyses still in progress, who is due, who waits after screening.

The lists come from :mod:`dermadelta.clinic.records.schedule`, for the signed-in
staff member's clinic only; the page's read is audited as one entry.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dermadelta.clinic.accounts.access import Actor, staff_required
from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records.schedule import DUE_WITHIN_DAYS, clinic_today, day_at_glance


@staff_required
def dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    assert actor.clinic is not None
    glance = day_at_glance(actor.clinic, clinic_today(actor.clinic))
    record(request, AuditAction.VIEW, actor.clinic, detail="dashboard")
    return render(request, "front/dashboard.html", {"glance": glance, "due_within": DUE_WITHIN_DAYS})
