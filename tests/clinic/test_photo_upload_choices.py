"""Uploading from a session pre-selects it; a camera date after today is refused, an odd one warned about."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dermadelta.clinic.records.models import Consultation, Photo
from tests.clinic.photo_records import LONDON, photo, session


def _jpeg_taken(face: bytes, when: dt.datetime) -> SimpleUploadedFile:
    image = Image.open(io.BytesIO(face))
    exif = Image.Exif()
    exif[0x0132] = when.strftime("%Y:%m:%d %H:%M:%S")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=90)
    return SimpleUploadedFile("face.jpg", buffer.getvalue(), content_type="image/jpeg")


def _upload(client, patient, upload):
    return client.post(reverse("photo_upload", args=[patient.pk]), {"view": "front", "session": "", "photos": [upload]})


def test_uploading_from_a_session_pre_selects_it(as_alice, patient):
    second = session(patient, 2, timezone.localdate())
    session_page = as_alice.get(reverse("session", args=[second.pk])).content.decode()
    link = f"{reverse('photo_upload', args=[patient.pk])}?session={second.pk}"
    assert link in session_page

    page = as_alice.get(link).content.decode()

    assert f'<option value="{second.pk}" selected>' in page


@pytest.mark.parametrize("asked", ["", "abc", "²", "-1", "1e3", "9" * 40, "0"])
def test_a_session_that_is_not_a_number_selects_nothing(as_alice, patient, asked):
    session(patient, 1, timezone.localdate())

    response = as_alice.get(reverse("photo_upload", args=[patient.pk]), {"session": asked})

    assert response.status_code == 200
    assert '<option value="" selected>' in response.content.decode()


def test_a_session_of_another_patient_is_ignored(as_alice, patient, quinn):
    session(patient, 2, timezone.localdate())
    theirs = session(quinn, 1, timezone.localdate())

    page = as_alice.get(reverse("photo_upload", args=[patient.pk]), {"session": theirs.pk}).content.decode()

    assert f'<option value="{theirs.pk}" selected>' not in page
    assert '<option value="" selected>' in page


def test_a_camera_date_after_tomorrow_is_refused(as_alice, patient, face_pair):
    later = timezone.localtime(timezone.now(), LONDON) + dt.timedelta(days=3)

    response = _upload(as_alice, patient, _jpeg_taken(face_pair[0], later))

    assert response.status_code == 302
    assert not Photo.objects.exists()
    page = as_alice.get(response["Location"]).content.decode()
    assert "after today" in page and "camera" in page


def test_a_camera_date_before_the_first_consultation_is_kept_with_a_warning(as_alice, patient, face_pair):
    Consultation.objects.create(patient=patient, on=dt.date(2026, 1, 10), verdict="go")
    taken = dt.datetime(2025, 12, 1, 10, 0)

    response = _upload(as_alice, patient, _jpeg_taken(face_pair[0], taken))

    saved = Photo.objects.get()
    assert saved.taken_at is not None
    page = as_alice.get(response["Location"]).content.decode()
    assert "before the patient&#x27;s first consultation (10 Jan 2026)" in page
    detail = as_alice.get(reverse("photo", args=[saved.pk])).content.decode()
    assert "before the patient&#x27;s first consultation" in detail


def test_fetch_uploads_carry_the_label_and_the_warnings(as_alice, patient, face_pair):
    taken = timezone.localtime(timezone.now(), LONDON).replace(tzinfo=None) - dt.timedelta(days=400)

    response = as_alice.post(
        reverse("photo_upload", args=[patient.pk]),
        {"view": "front", "session": "", "photos": [_jpeg_taken(face_pair[0], taken)]},
        headers={"Accept": "application/json"},
    )

    saved = response.json()["saved"][0]
    assert saved["label"].startswith("Consultation of ")
    assert saved["warnings"] == [
        f"The camera dates this photo {taken:%-d %b %Y}, more than a year before it was uploaded."
    ]


def test_a_recent_camera_date_warns_of_nothing(patient, alice):
    shot = photo(patient, taken=timezone.now() - dt.timedelta(days=2), by=alice)

    assert shot.date_warnings() == []


def test_a_camera_date_later_today_than_the_upload_is_warned_about(patient, alice):
    shot = photo(patient, taken=timezone.now() + dt.timedelta(days=1), by=alice)

    assert "after the day it was uploaded" in shot.date_warnings()[0]
