"""Photos: upload (multipart, several files), the analysis status and result, the patient's photos, retry."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status, UploadedFile
from pydantic import Field

from dermadelta.clinic.api.auth import actor
from dermadelta.clinic.api.errors import ApiError, ErrorOut, responses
from dermadelta.clinic.api.lookups import patient_to_change, record_to_change
from dermadelta.clinic.api.paging import page
from dermadelta.clinic.api.routers import RecordId
from dermadelta.clinic.api.schemas import MAX_ID, Incoming, Page, Paging, PhotoDetailOut, PhotoOut, UploadOut
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.access import get_patient, get_record
from dermadelta.clinic.records.choices import View
from dermadelta.clinic.records.models import Photo

router = Router(tags=["photos"])


class UploadTags(Incoming):
    view: View = View.FRONT
    session_id: int | None = Field(None, ge=1, le=MAX_ID, description="The charted session the photos belong to")


@router.post("/patients/{patient_id}/photos", response=responses({201: UploadOut, 413: ErrorOut}))
def upload_photos(
    request: HttpRequest, patient_id: RecordId, photos: File[list[UploadedFile]], tags: Form[UploadTags]
) -> Any:
    """Save each readable photo and queue its analysis; say why each other file was refused.

    Nothing saved at all is an error (400) whose details are the refusals.
    """
    patient = patient_to_change(request, patient_id)
    session = None
    if tags.session_id is not None:
        session = patient.sessions.filter(pk=tags.session_id).first()
        if session is None:
            raise ApiError("not_found", "No such session for this patient.")
    files = [(upload.name or "", upload) for upload in photos]  # streamed to disk, not read here
    outcome = actions.upload_photos(patient, files, view=tags.view, session=session, by=request.user, request=request)
    if not outcome.saved:
        details = [{"field": "photos", "message": reason} for reason in outcome.refused]
        raise ApiError("validation", "No photo was saved.", details=details)
    saved = [{"id": p.pk, "name": p.original_name, "status": p.status} for p in outcome.saved]
    return Status(201, {"saved": saved, "refused": outcome.refused})


@router.get("/patients/{patient_id}/photos", response=responses({200: Page[PhotoOut]}))
def list_photos(request: HttpRequest, patient_id: RecordId, paging: Query[Paging]) -> Any:
    """The patient's photos in upload order, with each one's analysis status and quality."""
    patient = get_patient(request, actor(request), patient_id, detail="photos")
    return page(patient.photos.select_related("session"), paging)


@router.get("/photos/{photo_id}", response=responses({200: PhotoDetailOut}))
def get_photo(request: HttpRequest, photo_id: RecordId) -> Any:
    """The photo's analysis: status, quality verdict and notes, and the measurements once done."""
    return get_record(request, actor(request), Photo, photo_id)


@router.post("/photos/{photo_id}/retry", response=responses({200: PhotoOut}))
def retry_photo(request: HttpRequest, photo_id: RecordId) -> Any:
    """Queue a failed analysis again."""
    photo = record_to_change(request, Photo, photo_id)
    actions.retry(photo, by=request.user, request=request)
    return photo
