"""The analysis and comparison results the API serves say how a photo was read, never which camera took it."""

from __future__ import annotations

import io
import json

from PIL import Image

import dermadelta
from dermadelta.clinic.records.models import Comparison, Photo
from dermadelta.clinic.records.photofiles import without_camera
from tests.api.conftest import BASE

CAMERA = {
    "camera_make": "Acme",
    "camera_model": "Phone 12",
    "body_serial": "SN-0042",
    "datetime": "2025:01:02 10:00:00",
}
READ = {"format": "JPEG", "width": 40, "height": 50, "decoded_scale": 0.5, "bit_depth": 8, "exif_orientation": 6}


def _with_exif(jpeg: bytes) -> bytes:
    image = Image.open(io.BytesIO(jpeg))
    exif = image.getexif()
    exif[0x010F], exif[0x0110] = "Acme", "Phone 12"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


def test_the_analysis_of_a_photo_with_camera_exif_is_served_without_it(api_alice, patient, face_pair):
    analysis = dermadelta.analyze(_with_exif(face_pair[0])).to_dict()
    assert analysis["image"]["camera_make"] == "Acme"  # what the engine read, kept in the clinic's record
    photo = Photo.objects.create(
        patient=patient, sha256="c" * 64, width=40, height=50, original="c.jpg", status="done", analysis=analysis
    )

    served = api_alice.get(f"{BASE}/photos/{photo.pk}").json()["analysis"]

    assert "Acme" not in json.dumps(served) and "Phone 12" not in json.dumps(served)
    assert served["image"]["format"] == "JPEG" and served["zones"] == analysis["zones"]


def test_a_comparison_is_served_without_either_photos_camera(api_alice, patient):
    photos = [
        Photo.objects.create(patient=patient, sha256=name * 64, width=40, height=50, original=f"{name}.jpg")
        for name in "ab"
    ]
    side = {"path": "a.jpg", "image": {**READ, **CAMERA}, "quality": {"verdict": "ok"}}
    result = {"schema": "dermadelta.compare/1", "before": side, "after": side, "zones": {}}
    comparison = Comparison.objects.create(
        patient=patient, before=photos[0], after=photos[1], status="done", result=result
    )

    served = api_alice.get(f"{BASE}/comparisons/{comparison.pk}").json()["result"]

    assert served["before"]["image"] == READ and served["after"]["image"] == READ
    assert served["before"]["quality"] == {"verdict": "ok"}


def test_without_camera_keeps_what_it_does_not_know_and_changes_nothing_in_place():
    result = {"schema": "dermadelta.analyze/1", "image": {**READ, **CAMERA}, "zones": {"face": {}}}

    shared = without_camera(result)

    assert shared == {"schema": "dermadelta.analyze/1", "image": READ, "zones": {"face": {}}}
    assert result["image"]["camera_make"] == "Acme"
    assert without_camera(None) is None and without_camera({}) == {}
    assert without_camera({"image": "odd"}) == {"image": "odd"}
