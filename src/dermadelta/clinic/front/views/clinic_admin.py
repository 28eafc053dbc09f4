"""Clinic admin pages: the clinic's audit log (read only) and the marketing photo export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dermadelta.clinic.accounts.access import Actor, admin_required
from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.front.forms.clinic_admin import AuditFilterForm
from dermadelta.clinic.records.marketing import export_summary, export_zip
from dermadelta.protocol.calendar import time_zone

AUDIT_PAGE_SIZE = 50


def _filtered(entries: QuerySet[AuditEntry], form: AuditFilterForm) -> QuerySet[AuditEntry]:
    form.is_valid()  # what validated is applied; the errors are shown next to their fields
    data: dict[str, Any] = getattr(form, "cleaned_data", {})
    if data.get("patient"):
        entries = entries.filter(patient_id=data["patient"])
    if data.get("username"):
        entries = entries.filter(username__icontains=data["username"])
    if data.get("action"):
        entries = entries.filter(action=data["action"])
    return entries


def _reading(form: AuditFilterForm, page_number: int) -> str:
    """What was read, in words: the page and the filters applied."""
    data: dict[str, Any] = getattr(form, "cleaned_data", {})
    filters = []
    if data.get("patient"):
        filters.append(f"patient id {data['patient']}")
    if data.get("username"):
        filters.append(f"user name {data['username']!r}")
    if data.get("action"):
        filters.append(f"action {AuditAction(data['action']).label!r}")
    return f"the audit log, page {page_number}" + (f", filtered by {', '.join(filters)}" if filters else "")


@admin_required
@require_GET
def audit_log(request: HttpRequest, actor: Actor) -> HttpResponse:
    assert actor.clinic is not None
    form = AuditFilterForm(request.GET)
    entries = _filtered(AuditEntry.objects.of_clinic(actor.clinic), form).select_related("patient")
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # read before this reading is written: it shows from the next one
    # Reading the log is itself audited (who looked at whose activity).
    record(request, AuditAction.VIEW, actor.clinic, clinic=actor.clinic, detail=_reading(form, page.number))
    return render(
        request,
        "front/clinic_admin/audit_log.html",
        {"form": form, "page": page, "clinic_tz": actor.clinic.time_zone},
    )


@admin_required
@require_GET
def marketing_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    assert actor.clinic is not None
    return render(request, "front/clinic_admin/marketing_export.html", {"summary": export_summary(actor.clinic)})


@admin_required
@require_POST
def marketing_zip(request: HttpRequest, actor: Actor) -> HttpResponse:
    assert actor.clinic is not None
    export = export_zip(actor.clinic, by=request.user, request=request)
    if not export.photos:
        messages.info(
            request, "No patient has an active marketing consent for their photos: there is nothing to export."
        )
        return redirect("marketing_export")
    day = timezone.localdate(timezone=time_zone(actor.clinic.time_zone))
    response = HttpResponse(export.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="marketing-photos-{day.isoformat()}.zip"'
    response["Cache-Control"] = "no-store"
    return response
