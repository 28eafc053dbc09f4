"""Photos and comparisons made straight in the database, for tests of how they are named, listed and hidden."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from dermadelta.clinic.records.choices import JobStatus, QualityVerdict, View
from dermadelta.clinic.records.models import Comparison, Photo, TreatmentSession

LONDON = ZoneInfo("Europe/London")


def served_copies(*photos: Photo) -> None:
    """Make each uploaded photo's served copy as the worker's first step does, leaving its analysis queued."""
    from dermadelta.clinic.records import tasks

    for shot in photos:
        job = tasks._claim(Photo, shot.pk)
        assert job is not None
        tasks._decoded(job, tasks._read(job))
        Photo.with_hidden.filter(pk=shot.pk).update(status=JobStatus.QUEUED, claimed_at=None, attempts=0)
        shot.refresh_from_db()


def session(patient: Any, number: int, on: dt.date) -> TreatmentSession:
    return TreatmentSession.objects.create(patient=patient, number=number, on=on, depths={"nose": 0.5})


def photo(
    patient: Any, *, taken: dt.datetime, by: Any = None, view: str = View.FRONT, of: TreatmentSession | None = None
) -> Photo:
    """A usable, analysed photo (no stored file: nothing here serves its image)."""
    return Photo.objects.create(
        patient=patient,
        session=of,
        view=view,
        original="none",
        display="none",
        sha256="0" * 64,
        width=1200,
        height=1600,
        taken_at=taken,
        uploaded_by=by,
        status=JobStatus.DONE,
        quality=QualityVerdict.OK,
        analysed_at=taken,
    )


def comparison(before: Photo, after: Photo, *, status: str = JobStatus.DONE, result: Any = None) -> Comparison:
    return Comparison.objects.create(patient=before.patient, before=before, after=after, status=status, result=result)


#: A ``dermadelta.compare/1`` result with one measured change (enough for "Measured").
MEASURED = {
    "schema": "dermadelta.compare/1",
    "zones": {"face": {"redness": {"before": 10.0, "after": 12.0, "delta": 2.0, "mdc": 1.0, "change": "increased"}}},
}
#: A result that measured nothing: the after photo was refused.
REFUSED = {
    "schema": "dermadelta.compare/1",
    "after": {"quality": {"verdict": "reject", "reasons": ["No face was found in the photo."]}},
    "zones": {},
}
