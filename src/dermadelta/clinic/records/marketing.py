"""Photos a clinic may use for marketing, and the ZIP file that exports them.

Only photos of patients whose marketing consent is active *at the moment of the
export* are included: the consent is read from the database each time, so a
withdrawal (:func:`~dermadelta.clinic.records.actions.withdraw_consent`) takes a
patient's photos out of the very next export. The ZIP carries the served copies
(:attr:`Photo.display`: re-encoded, no EXIF, no GPS position, no camera serials),
never the originals as uploaded, and a manifest that names no one: patients and
photos are given anonymous ids (a keyed hash, stable from one export to the next
but meaningless outside the clinic) and days are counted from each patient's
first exported photo instead of calendar dates.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from dermadelta.clinic.accounts.models import Clinic
from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records.choices import ConsentKind
from dermadelta.clinic.records.models import Consent, Photo

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("file", "patient", "photo", "view", "day", "simulated")
AUDIT_DETAIL = "marketing export"


def exportable_photos(clinic: Clinic) -> QuerySet[Photo]:
    """The clinic's photos whose patient has an active marketing consent now (evaluated when iterated)."""
    consenting = Consent.objects.filter(
        kind=ConsentKind.MARKETING, withdrawn_at__isnull=True, patient__clinic=clinic
    ).values("patient_id")
    return (
        Photo.objects.filter(patient__clinic=clinic, patient_id__in=consenting)
        .exclude(display="")
        .select_related("patient", "session")
        .order_by("patient_id", "id")
    )


@dataclass(frozen=True)
class ExportSummary:
    photos: int
    patients: int


def export_summary(clinic: Clinic) -> ExportSummary:
    photos = exportable_photos(clinic)
    return ExportSummary(photos=photos.count(), patients=photos.values("patient_id").distinct().count())


def anonymous_id(kind: str, pk: int) -> str:
    """A stable id for ``kind`` ``pk`` that cannot be traced back without the clinic's secret key."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"marketing:{kind}:{pk}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0].upper()}-{digest[:12]}"


@dataclass(frozen=True)
class ManifestRow:
    file: str
    patient: str
    photo: str
    view: str
    day: int
    simulated: bool

    def as_list(self) -> list[str]:
        return [self.file, self.patient, self.photo, self.view, str(self.day), "yes" if self.simulated else "no"]


def manifest_rows(photos: Sequence[Photo]) -> list[ManifestRow]:
    """One row per photo; ``day`` counts from the same patient's first photo in the export."""
    first_day: dict[int, Any] = {}
    for photo in photos:
        day = photo.day
        if photo.patient_id not in first_day or day < first_day[photo.patient_id]:
            first_day[photo.patient_id] = day
    rows = []
    for photo in sorted(photos, key=lambda p: (anonymous_id("patient", p.patient_id), p.day, p.pk)):
        patient_id = anonymous_id("patient", photo.patient_id)
        photo_id = anonymous_id("photo", photo.pk)
        rows.append(
            ManifestRow(
                file=f"{patient_id}/{photo_id}.jpg",
                patient=patient_id,
                photo=photo_id,
                view=photo.view,
                day=(photo.day - first_day[photo.patient_id]).days,
                simulated=photo.patient.simulated,
            )
        )
    return rows


def _manifest_csv(rows: Sequence[ManifestRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows(row.as_list() for row in rows)
    return buffer.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Export:
    data: bytes
    photos: int
    patients: int


def export_zip(clinic: Clinic, *, by: Any, request: HttpRequest | None = None) -> Export:
    """The ZIP of every exportable photo's display copy and the manifest; one audit entry per photo."""
    with transaction.atomic():
        photos = list(exportable_photos(clinic))  # consent read now, at export time
        rows = {row.photo: row for row in manifest_rows(photos)}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for photo in photos:
                row = rows[anonymous_id("photo", photo.pk)]
                with photo.display.open("rb") as handle:
                    # JPEG is compressed already: store it as it is.
                    archive.writestr(row.file, handle.read(), compress_type=zipfile.ZIP_STORED)
                record(request, AuditAction.DOWNLOAD, photo, patient=photo.patient, user=by, detail=AUDIT_DETAIL)
            archive.writestr(MANIFEST_NAME, _manifest_csv(list(rows.values())), compress_type=zipfile.ZIP_DEFLATED)
    return Export(data=buffer.getvalue(), photos=len(photos), patients=len({p.patient_id for p in photos}))
