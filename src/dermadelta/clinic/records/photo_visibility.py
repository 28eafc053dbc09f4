"""Hiding a wrong upload (a photo of the wrong person, a dog) and showing it again.

A hidden photo is kept, never deleted: it drops out of every list, comparison,
export and the portal through :class:`~dermadelta.clinic.records.models.ShownPhotos`,
and only a clinic admin can show it again. Both changes are audited.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dermadelta.clinic.accounts.access import Actor
from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records.actions import ActionError, _enqueue_photo
from dermadelta.clinic.records.choices import JobStatus
from dermadelta.clinic.records.models import Photo


def can_hide(photo: Photo, actor: Actor) -> bool:
    """Whether ``actor`` may hide ``photo``: its uploader, or an admin of the patient's clinic."""
    if not actor.is_staff_member or actor.clinic is None or actor.clinic.pk != photo.patient.clinic_id:
        return False
    return actor.is_clinic_admin or (photo.uploaded_by_id is not None and photo.uploaded_by_id == actor.user.pk)


def hide_photo(photo: Photo, *, actor: Actor, request: HttpRequest | None = None) -> Photo:
    """Hide a wrong upload: it leaves every list, comparison, export and the portal, and is audited.

    Nothing is deleted: an admin can show it again (:func:`show_photo`).
    """
    if not can_hide(photo, actor):
        raise ActionError("Only the person who uploaded this photo or a clinic admin can hide it.")
    with transaction.atomic():
        if not Photo.with_hidden.filter(pk=photo.pk, hidden_at__isnull=True).update(
            hidden_at=timezone.now(), hidden_by=actor.user
        ):
            raise ActionError("This photo is already hidden.")
        record(request, AuditAction.UPDATE, photo, patient=photo.patient, user=actor.user, detail="hidden")
    photo.refresh_from_db()
    return photo


def show_photo(photo: Photo, *, actor: Actor, request: HttpRequest | None = None) -> Photo:
    """Show a hidden photo again (clinic admins only), audited; an analysis it was waiting for is queued again."""
    if not actor.is_clinic_admin or actor.clinic is None or actor.clinic.pk != photo.patient.clinic_id:
        raise ActionError("Only a clinic admin can show a hidden photo again.")
    with transaction.atomic():
        if not Photo.with_hidden.filter(pk=photo.pk, hidden_at__isnull=False).update(hidden_at=None, hidden_by=None):
            raise ActionError("This photo is not hidden.")
        record(request, AuditAction.UPDATE, photo, patient=photo.patient, user=actor.user, detail="shown again")
        if photo.status == JobStatus.QUEUED:
            # The worker skips hidden photos, so a photo hidden before its analysis ran needs queueing again.
            transaction.on_commit(partial(_enqueue_photo, photo.pk))
    photo.refresh_from_db()
    return photo
