"""Results: asking for a comparison, the before/after viewer, its images and PDF, and the course chart.

The viewer reads what the worker stored: the ``dermadelta.compare/1`` result, the
aligned photos and change maps (served one by one through
:func:`comparison_visual`, which only knows the names the worker wrote), and the
PDF report. Tables and words come from :mod:`dermadelta.reports.comparison_report`
through :mod:`dermadelta.clinic.records.course_progress`, so the page and the PDF
say the same thing.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from dermadelta.clinic.accounts.access import Actor, member_required, staff_required
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.front.forms.results import ComparisonForm, ViewerForm
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.access import get_patient, get_record
from dermadelta.clinic.records.choices import JobStatus
from dermadelta.clinic.records.course_progress import (
    alignment_of,
    course_progress,
    finding_list,
    judged_anything,
    message_png,
    not_measured_list,
    photo_rows,
    progress_chart_png,
    refusal_list,
    zone_choices,
    zone_table,
)
from dermadelta.clinic.records.models import Comparison
from dermadelta.clinic.records.visuals import SIMULATED_NOTICE
from dermadelta.errors import InputError
from dermadelta.reports.comparison_report import DETECTABLE_CHANGE_MEANING
from dermadelta.reports.progress_words import DAYS_AXIS, Audience

PENDING = (JobStatus.QUEUED, JobStatus.RUNNING)
#: The only kinds of stored visual the viewer serves.
VISUAL_TYPES = {"image/jpeg", "image/png"}


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def comparison_new(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """GET: choose two photos. POST: measure the later one against the earlier one in the background."""
    patient = get_patient(request, actor, pk)
    status = 200
    if request.method == "POST":
        form = ComparisonForm(request.POST, patient=patient)
        if form.is_valid():
            try:
                comparison = actions.request_comparison(
                    form.cleaned_data["before"], form.cleaned_data["after"], by=request.user, request=request
                )
            except ValidationError as error:  # an ActionError, or the model's own rule (same view)
                form.add_error(None, error.messages)
            else:
                return redirect("comparison", pk=comparison.pk)
        status = 400
    else:
        form = ComparisonForm(patient=patient, initial=_latest_pair(patient))
    return render(request, "front/results/new.html", {"patient": patient, "form": form}, status=status)


def _latest_pair(patient: Any) -> dict[str, Any]:
    photos = list(patient.photos.order_by("uploaded_at", "id").values_list("pk", flat=True))
    return {"before": photos[0], "after": photos[-1]} if len(photos) >= 2 else {}


def _viewer_context(request: HttpRequest, comparison: Comparison) -> dict[str, Any]:
    """What a finished comparison shows: images, change maps, the zone tables, alignment and findings."""
    visuals = comparison.visuals if isinstance(comparison.visuals, dict) else {}
    files = visuals.get("files") or {}
    result = comparison.result if isinstance(comparison.result, dict) else {}
    cards = []
    for card in visuals.get("heatmaps") or []:
        if not isinstance(card, dict) or "metric" not in card:
            continue
        name = f"heatmap-{card['metric']}"
        url = reverse("comparison_visual", args=[comparison.pk, name]) if name in files else None
        cards.append({**card, "url": url})
    metrics = [(c["metric"], c.get("label", c["metric"])) for c in cards]
    zones = zone_choices(result)
    asked = ViewerForm(request.GET or None, metrics=metrics, zones=zones)
    first_map = next((c["metric"] for c in cards if c["url"]), metrics[0][0] if metrics else "")
    metric = asked.chosen("metric", first_map)
    zone = asked.chosen("zone", zones[0][0] if zones else "")
    return {
        "measured": bool(files.get("before") and files.get("after")),
        "before_url": reverse("comparison_visual", args=[comparison.pk, "before"]) if "before" in files else None,
        "after_url": reverse("comparison_visual", args=[comparison.pk, "after"]) if "after" in files else None,
        "cards": cards,
        "metric": metric,
        "zone": zone,
        "picker": ViewerForm(metrics=metrics, zones=zones, initial={"metric": metric, "zone": zone}),
        "zone_rows": zone_table(result),
        "detectable_change_meaning": DETECTABLE_CHANGE_MEANING,
        "findings": finding_list(result),
        "not_measured": not_measured_list(result),
        "judged": judged_anything(result),
        "refusals": refusal_list(result),
        "alignment": alignment_of(result),
    }


@member_required
def comparison_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    comparison = get_record(request, actor, Comparison, pk)
    before, after = comparison.before, comparison.after
    context: dict[str, Any] = {
        "comparison": comparison,
        "patient": comparison.patient,
        "before": before,
        "after": after,
        "pending": comparison.status in PENDING,
        "can_retry": actor.is_staff_member,
        "notice": SIMULATED_NOTICE if comparison.patient.simulated else "",
        "photos": photo_rows(comparison),
    }
    if comparison.status == JobStatus.DONE:
        context |= _viewer_context(request, comparison)
        course, audience = course_progress(comparison.patient), chart_audience(request, actor)
        context |= {
            "course": course,
            "course_latest": course.latest(audience),
            "chart_numbers": course.numbers(audience),
            "days_heading": DAYS_AXIS[audience],
        }
    return render(request, "front/results/detail.html", context)


@member_required
def comparison_status(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """The fragment the viewer polls while the comparison is measured (``data-poll`` only while pending)."""
    comparison = get_record(request, actor, Comparison, pk, action=None)  # polled: the page audited the viewing
    context = {"comparison": comparison, "pending": comparison.status in PENDING, "can_retry": actor.is_staff_member}
    return _private(render(request, "front/results/_status.html", context))


@member_required
def comparison_visual(request: HttpRequest, actor: Actor, pk: int, name: str) -> HttpResponse:
    """One stored image of the comparison, by the name the worker gave it (any other name is 404)."""
    comparison = get_record(request, actor, Comparison, pk, detail=f"visual {name[:60]}")
    files = (comparison.visuals or {}).get("files") if isinstance(comparison.visuals, dict) else None
    stored = files.get(name) if isinstance(files, dict) else None
    if not isinstance(stored, str) or not stored:
        raise Http404("no such image")
    content_type = mimetypes.guess_type(stored)[0]
    if content_type not in VISUAL_TYPES:
        raise Http404("no such image")
    try:
        with default_storage.open(stored, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, ValueError):
        raise Http404("no such image") from None
    return _private(HttpResponse(data, content_type=content_type))


@member_required
def comparison_pdf(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    comparison = get_record(request, actor, Comparison, pk, action=AuditAction.DOWNLOAD, detail="report.pdf")
    if comparison.status != JobStatus.DONE or not comparison.report_pdf:
        raise Http404("no report yet")
    try:
        with comparison.report_pdf.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise Http404("no report") from None
    response = HttpResponse(data, content_type="application/pdf")
    filename = f"comparison-{comparison.pk}-{comparison.before.day:%Y%m%d}-{comparison.after.day:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)


@staff_required
def comparison_retry(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    comparison = get_record(request, actor, Comparison, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        actions.retry(comparison, by=request.user, request=request)
    except actions.ActionError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The comparison is queued again.")
    return redirect("comparison", pk=comparison.pk)


def chart_audience(request: HttpRequest, actor: Actor) -> Audience:
    """A patient always gets the patient's words; staff may ask for them (``?for=patient``) to show a patient."""
    return "patient" if actor.is_patient or request.GET.get("for") == "patient" else "clinic"


@member_required
def progress_chart(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Measured against expected over the whole course, as a PNG; a picture in words when nothing is measured."""
    patient = get_patient(request, actor, pk, detail="progress chart")
    try:
        png = progress_chart_png(course_progress(patient), audience=chart_audience(request, actor))
    except InputError as error:  # stored data the outcome model cannot read: say so in the picture
        png = message_png(f"The progress chart cannot be drawn: {error}")
    return _private(HttpResponse(png, content_type="image/png"))
