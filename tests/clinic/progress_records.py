"""A finished comparison for the course chart's tests: stand-in photos, a stored result."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from dermadelta.clinic.records.choices import JobStatus, QualityVerdict
from dermadelta.clinic.records.models import Comparison, Patient, Photo, TreatmentPlan
from dermadelta.protocol.plan import make_plan, parse_targets

#: Texture rougher than before (behind, for a plan that treats texture); pores a little better; redness unchanged.
BEHIND_RESULT: dict[str, Any] = {
    "schema": "dermadelta.compare/1",
    "zones": {
        "face": {
            "texture": {"before": 5.5, "after": 6.5, "delta": 1.0, "mdc": 0.09, "change": "increased"},
            "pores": {"before": 3.15, "after": 3.0, "delta": -0.15, "mdc": 0.39, "change": "none"},
            "redness": {"before": 10.6, "after": 10.7, "delta": 0.1, "mdc": 0.5, "change": "none"},
            "spots": {"before": 0.021, "after": 0.02, "delta": -0.001, "mdc": 0.002, "change": "none"},
        }
    },
}


def stand_in_photo(patient: Patient, name: str, day: dt.date | None, **fields: Any) -> Photo:
    """A finished photo of ``day`` (taken at 10:00 UTC; no camera time without a day) with small
    stand-in files (nothing decodes them); ``fields`` set or override any other column."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 50), (180, 140, 120)).save(buffer, format="JPEG")
    taken = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC) if day else None
    fields = {"status": JobStatus.DONE, "quality": QualityVerdict.OK, **fields}
    photo = Photo(patient=patient, sha256=name * 64, width=40, height=50, taken_at=taken, **fields)
    photo.original.save(f"{name}-original", ContentFile(b"original"), save=False)
    photo.display.save(f"{name}-display.jpg", ContentFile(buffer.getvalue()), save=False)
    photo.save()
    return photo


def behind_comparison(patient: Patient) -> Comparison:
    """A finished comparison 30 days into a plan for texture and pores, in which texture got rougher."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=30)
    targets = ["texture:left_cheek,right_cheek", "enlarged_pores:nose"]
    made = make_plan(parse_targets(targets), start=start)
    TreatmentPlan.objects.create(patient=patient, targets=targets, start=start, plan=made.to_dict())
    return Comparison.objects.create(
        patient=patient,
        before=stand_in_photo(patient, "a", today - dt.timedelta(days=40)),
        after=stand_in_photo(patient, "b", today),
        status=JobStatus.DONE,
        result=BEHIND_RESULT,
    )
