"""Photo pages: upload (drag and drop or a plain form), camera capture, the photo, its analysis status and image.

Uploads go through :func:`records.actions.upload_photos`, which checks every file
and explains the ones it refuses; the page then follows each photo's analysis
until the quality gate has spoken. Images are only ever served through
:func:`photo_image`, which checks who asks, logs the read, and sends the copy
without metadata (never the original file).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dermadelta.clinic.accounts.access import Actor, member_required, staff_required
from dermadelta.clinic.front.forms.photos import CaptureForm, PhotoUploadForm
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.access import get_patient, get_record, reachable, visible
from dermadelta.clinic.records.choices import JobStatus
from dermadelta.clinic.records.models import Comparison, Patient, Photo
from dermadelta.clinic.records.photo_visibility import can_hide, hide_photo, show_photo

PENDING = (JobStatus.QUEUED, JobStatus.RUNNING)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


#: How long after a photo's analysis its page waits for the comparison with the baseline to be asked for.
BASELINE_WAIT = dt.timedelta(minutes=10)


def _status_context(photo: Photo, actor: Actor) -> dict[str, Any]:
    """The photo's analysis and, once usable, its automatic comparison with the baseline (polled until ready)."""
    pending = photo.status in PENDING
    baseline = actions.baseline_photo(photo) if photo.usable else None
    comparison = Comparison.objects.filter(before=baseline, after=photo).first() if baseline is not None else None
    if comparison is not None:
        pending = pending or comparison.status in PENDING
    elif baseline is not None and photo.analysed_at is not None:
        # The worker asks for the comparison just after the analysis: wait for it a while, not for ever.
        pending = pending or timezone.now() - photo.analysed_at < BASELINE_WAIT
    return {
        "photo": photo,
        "pending": pending,
        "can_retry": actor.is_staff_member,
        "expects_baseline": baseline is not None,
        "baseline_comparison": comparison,
    }


def _uploaded_html(request: HttpRequest, photo: Photo, actor: Actor) -> str:
    """One uploaded photo, as the upload page lists it: thumbnail, name and the polling status."""
    return render_to_string("front/photos/_uploaded.html", _status_context(photo, actor), request=request)


def _uploaded_ids(raw: str) -> list[int]:
    """The photo ids named in the results-of-upload address (anything else is ignored)."""
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    ids = [int(part) for part in (p.strip() for p in raw.split(",")) if re.fullmatch(r"[0-9]{1,11}", part)]
    return ids[: settings.MAX_PHOTOS_PER_UPLOAD]


def _upload_page(
    request: HttpRequest, actor: Actor, patient: Patient, form: PhotoUploadForm, *, status: int = 200
) -> HttpResponse:
    ids = _uploaded_ids(request.GET.get("photos", ""))
    uploaded = list(patient.photos.filter(pk__in=ids).select_related("session")) if ids else []
    context = {
        "patient": patient,
        "form": form,
        "uploaded": [_status_context(p, actor) for p in uploaded],
        "max_photos": settings.MAX_PHOTOS_PER_UPLOAD,
    }
    return render(request, "front/photos/upload.html", context, status=status)


def _asked_session(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    """The session named by ``?session=`` as the form's initial choice, if it is one of this patient's (else none)."""
    raw = request.GET.get("session", "")
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        return {}
    session = patient.sessions.filter(pk=int(raw)).first()
    return {"session": session.pk} if session is not None else {}


@staff_required
def photo_upload(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """GET: the upload page (and, after an upload, its results). POST: save the photos, explain refusals."""
    patient = get_patient(request, actor, pk)
    if request.method != "POST":
        form = PhotoUploadForm(patient=patient, initial=_asked_session(request, patient))
        return _upload_page(request, actor, patient, form)
    form = PhotoUploadForm(request.POST, request.FILES, patient=patient)
    if form.is_valid():
        files = [(upload.name or "", upload) for upload in form.cleaned_data["photos"]]  # on disk, not read
        try:
            outcome = actions.upload_photos(
                patient,
                files,
                view=form.cleaned_data["view"],
                session=form.cleaned_data["session"],
                by=request.user,
                request=request,
            )
        except actions.ActionError as error:
            form.add_error(None, error.messages)
        else:
            if _wants_json(request):
                return JsonResponse(
                    {
                        "saved": [
                            {
                                "id": photo.pk,
                                "name": photo.original_name,
                                "url": reverse("photo", args=[photo.pk]),
                                "label": photo.label,
                                "warnings": photo.date_warnings(),
                                "html": _uploaded_html(request, photo, actor),
                            }
                            for photo in outcome.saved
                        ],
                        "refused": outcome.refused,
                        "errors": [],
                    }
                )
            for reason in outcome.refused:
                messages.error(request, f"Not saved: {reason}")
            if outcome.saved:
                count = len(outcome.saved)
                messages.success(request, f"{count} photo{'s' if count != 1 else ''} saved; analysing now.")
            query = urlencode({"photos": ",".join(str(p.pk) for p in outcome.saved)})
            return redirect(f"{reverse('photo_upload', args=[patient.pk])}?{query}")
    if _wants_json(request):
        errors = [str(e) for errors in form.errors.values() for e in errors]
        return JsonResponse({"saved": [], "refused": [], "errors": errors}, status=400)
    return _upload_page(request, actor, patient, form, status=400)


@staff_required
def photo_capture(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """The camera page: live video with the baseline photo of the view overlaid to match the framing."""
    patient = get_patient(request, actor, pk)
    choice = CaptureForm(request.GET or None)
    view = choice.chosen_view()
    upload_form = PhotoUploadForm(initial={"view": view}, patient=patient)
    context = {
        "patient": patient,
        "choice": choice,
        "view": view,
        "baseline": patient.baseline(view),
        "form": upload_form,
        "upload_url": reverse("photo_upload", args=[patient.pk]),
    }
    return render(request, "front/photos/capture.html", context)


@member_required
def photo_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    photo = get_record(request, actor, Photo, pk)
    comparisons = visible(actor, Comparison).filter(Q(before=photo) | Q(after=photo)).select_related("before", "after")
    others = []
    if actor.is_staff_member:
        others = [
            p
            for p in photo.patient.photos.filter(view=photo.view).exclude(pk=photo.pk).select_related("session")
            if p.usable
        ]
    context = {
        "photo": photo,
        "patient": photo.patient,
        "status": _status_context(photo, actor),
        "comparisons": list(comparisons),
        "others": others,
        "can_hide": can_hide(photo, actor),
    }
    return render(request, "front/photos/detail.html", context)


@member_required
def photo_status(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """The status fragment the page polls: it carries ``data-poll`` only while the analysis is pending."""
    photo = get_record(request, actor, Photo, pk, action=None)  # polled: the photo page audited the viewing
    response = render(request, "front/photos/_status.html", _status_context(photo, actor))
    response["Cache-Control"] = "private, no-store"
    return response


@member_required
def photo_image(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """The photo as the browser gets it: the copy without EXIF, never the original upload."""
    photo = get_record(request, actor, Photo, pk, detail="image")
    if not photo.display:
        raise Http404("no image")
    try:
        with photo.display.open("rb") as handle:
            data = handle.read()  # the display copy is small (at most 2048 px on its longest side)
    except FileNotFoundError:
        raise Http404("no image") from None
    response = HttpResponse(data, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.jpg"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def photo_retry(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    photo = get_record(request, actor, Photo, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        actions.retry(photo, by=request.user, request=request)
    except actions.ActionError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The analysis is queued again.")
    return redirect("photo", pk=photo.pk)


@staff_required
def photo_hide(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Hide a wrong upload (its uploader or a clinic admin); the patient's page lists it apart."""
    # The record first: another clinic's photo is not found, whatever the method.
    photo = get_record(request, actor, Photo, pk, action=None)  # the action audits the change
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        hide_photo(photo, actor=actor, request=request)
    except actions.ActionError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("photo", pk=photo.pk)
    messages.success(request, "The photo is hidden. A clinic admin can show it again from the hidden photos below.")
    return redirect(f"{reverse('patient', args=[photo.patient_id])}#photos")


@staff_required
def photo_show(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Show a hidden photo again (clinic admins only)."""
    photo = reachable(request, actor, Photo, pk, hidden=True)  # the action audits the change
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        show_photo(photo, actor=actor, request=request)
    except actions.ActionError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The photo is shown again.")
    return redirect(f"{reverse('patient', args=[photo.patient_id])}#photos")
