"""Serving photos: only through the authorizing view, audited, without metadata; the photo page and its status."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind, JobStatus, QualityVerdict, View
from dermadelta.clinic.records.models import Consent, Patient, Photo
from tests.clinic.photo_records import served_copies

GPS_IFD, EXIF_IFD, BODY_SERIAL_NUMBER = 0x8825, 0x8769, 0xA431
SERIAL = "SN-CAMERA-0042"


def _with_exif(jpeg: bytes) -> bytes:
    """The photo re-saved with a GPS position, a camera serial number and a capture time in its EXIF."""
    exif = Image.Exif()
    exif[0x010F] = "Acme Optics"
    exif[0x0132] = "2025:03:01 10:00:00"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 40.0)})
    exif.get_ifd(EXIF_IFD)[BODY_SERIAL_NUMBER] = SERIAL
    buffer = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(buffer, format="JPEG", exif=exif, quality=92)
    return buffer.getvalue()


def _upload(patient: Patient, data: bytes, by: Any, *, view: str = View.FRONT) -> Photo:
    outcome = actions.upload_photos(patient, [("photo.jpg", data)], view=view, session=None, by=by)
    assert outcome.refused == []
    served_copies(*outcome.saved)
    return outcome.saved[0]


def _row(patient: Patient, name: str = "a", **fields: Any) -> Photo:
    """A photo row with small stand-in files (for pages that do not decode it)."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 50), (180, 140, 120)).save(buffer, format="JPEG")
    photo = Photo(patient=patient, sha256=name * 64, width=40, height=50, **fields)
    photo.original.save(f"{name}-original", ContentFile(b"ORIGINAL-BYTES"), save=False)
    photo.display.save(f"{name}-display.jpg", ContentFile(buffer.getvalue()), save=False)
    photo.save()
    return photo


def _done(photo: Photo, quality: str, reasons: list[str] = [], warnings: list[str] = []) -> None:  # noqa: B006
    analysis = {"quality": {"verdict": quality, "reasons": reasons, "warnings": warnings}}
    Photo.objects.filter(pk=photo.pk).update(status=JobStatus.DONE, quality=quality, analysis=analysis)


# --- the image -----------------------------------------------------------------------------------


def test_it_serves_a_copy_without_gps_or_serial_numbers(as_alice, patient, alice, face_pair):
    data = _with_exif(face_pair[0])
    photo = _upload(patient, data, alice)
    with photo.original.open("rb") as handle:
        original = handle.read()
    assert SERIAL.encode() in original  # the upload did carry them (kept as uploaded, never served)

    response = as_alice.get(reverse("photo_image", args=[photo.pk]))

    assert response.status_code == 200
    served = response.content
    assert served != original
    exif = Image.open(io.BytesIO(served)).getexif()
    assert exif.get_ifd(GPS_IFD) == {} and GPS_IFD not in exif
    assert BODY_SERIAL_NUMBER not in exif.get_ifd(EXIF_IFD)
    assert SERIAL.encode() not in served and b"Acme Optics" not in served
    assert max(Image.open(io.BytesIO(served)).size) <= 2048


def test_it_serves_the_display_copy_with_private_headers(as_alice, patient):
    photo = _row(patient)

    response = as_alice.get(reverse("photo_image", args=[photo.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"\xff\xd8") and b"ORIGINAL-BYTES" not in response.content


def test_every_read_of_an_image_is_audited(as_alice, alice, patient):
    photo = _row(patient)

    for _ in range(2):
        as_alice.get(reverse("photo_image", args=[photo.pk]))

    entries = AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="photo", object_id=str(photo.pk))
    assert entries.count() == 2
    assert {(e.user_id, e.patient_id, e.detail) for e in entries} == {(alice.pk, patient.pk, "image")}


def test_a_patient_sees_her_own_photo_but_not_another_patients(as_pat, as_quinn, patient):
    photo = _row(patient)
    url = reverse("photo_image", args=[photo.pk])

    assert as_pat.get(url).status_code == 200
    assert as_quinn.get(url).status_code == 404


def test_staff_of_another_clinic_get_404_and_nothing_is_logged(as_charlie, as_bob, client, patient):
    photo = _row(patient)
    url = reverse("photo_image", args=[photo.pk])
    before = AuditEntry.objects.exclude(action=AuditAction.REFUSED).count()

    assert as_charlie.get(url).status_code == 404
    assert AuditEntry.objects.exclude(action=AuditAction.REFUSED).count() == before
    assert as_bob.get(url).status_code == 200
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_answers_404_for_a_photo_of_another_clinic(as_alice, harbour, charlie):
    stranger = Patient.objects.create(
        clinic=harbour, first_name="Sam", last_name="Sea", date_of_birth=timezone.localdate().replace(year=1990)
    )
    Consent.objects.create(patient=stranger, kind=ConsentKind.PHOTOGRAPHY, granted_by=charlie)
    photo = _row(stranger, "s")

    assert as_alice.get(reverse("photo_image", args=[photo.pk])).status_code == 404
    assert as_alice.get(reverse("photo", args=[photo.pk])).status_code == 404
    assert as_alice.get(reverse("photo_status", args=[photo.pk])).status_code == 404
    assert as_alice.get(reverse("photo_image", args=[999_999])).status_code == 404


def test_it_answers_404_when_the_stored_copy_is_missing(as_alice, patient):
    photo = _row(patient)
    photo.display.storage.delete(photo.display.name)

    assert as_alice.get(reverse("photo_image", args=[photo.pk])).status_code == 404


# --- the status fragment --------------------------------------------------------------------------


def test_the_status_polls_while_queued_and_stops_when_the_worker_is_done(
    as_alice, patient, alice, face_pair, committed, run_worker
):
    with committed():
        photo = _upload(patient, face_pair[0], alice)
    url = reverse("photo_status", args=[photo.pk])

    waiting = as_alice.get(url).content.decode()
    assert f'data-poll="{url}"' in waiting and "Waiting for the worker" in waiting

    run_worker()

    response = as_alice.get(url)
    done = response.content.decode()
    assert "data-poll" not in done
    assert 'class="badge ok">Usable<' in done
    assert response["Cache-Control"] == "private, no-store"


def test_the_status_polls_while_running(as_alice, patient):
    photo = _row(patient, status=JobStatus.RUNNING)

    page = as_alice.get(reverse("photo_status", args=[photo.pk])).content.decode()

    assert "data-poll=" in page and "Being analysed" in page


def test_the_status_gives_the_reasons_of_the_quality_gate(as_alice, patient):
    photo = _row(patient)
    _done(photo, QualityVerdict.REJECT, reasons=["no face found"], warnings=["photo is slightly dark"])

    page = as_alice.get(reverse("photo_status", args=[photo.pk])).content.decode()

    assert "Not usable" in page and "no face found" in page and "photo is slightly dark" in page
    assert "data-poll" not in page


def test_the_status_says_usable_with_warnings(as_pat, patient):
    photo = _row(patient)
    _done(photo, QualityVerdict.WARN, warnings=["head turned 12 degrees"])

    page = as_pat.get(reverse("photo_status", args=[photo.pk])).content.decode()

    assert "Usable, with warnings" in page and "head turned 12 degrees" in page


def test_a_failed_analysis_shows_why_and_a_retry_button_for_staff_only(as_alice, as_pat, patient):
    photo = _row(patient, status=JobStatus.FAILED, failure="unexpected error in the worker (OSError)")
    url = reverse("photo_status", args=[photo.pk])

    staff = as_alice.get(url).content.decode()
    own = as_pat.get(url).content.decode()

    assert "unexpected error in the worker (OSError)" in staff and ">Retry</button>" in staff
    assert reverse("photo_retry", args=[photo.pk]) in staff
    assert "unexpected error in the worker (OSError)" in own and ">Retry</button>" not in own


def test_the_status_escapes_text_from_the_analysis(as_alice, patient):
    photo = _row(patient)
    _done(photo, QualityVerdict.REJECT, reasons=["<script>alert(1)</script>"])

    page = as_alice.get(reverse("photo_status", args=[photo.pk])).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def test_another_patient_cannot_poll_the_status(as_quinn, as_charlie, patient):
    photo = _row(patient)
    url = reverse("photo_status", args=[photo.pk])

    assert as_quinn.get(url).status_code == 404
    assert as_charlie.get(url).status_code == 404


# --- retry ----------------------------------------------------------------------------------------


def test_staff_retry_a_failed_analysis(as_bob, patient, bob, committed):
    photo = _row(patient, status=JobStatus.FAILED, failure="unexpected error")

    with committed():
        response = as_bob.post(reverse("photo_retry", args=[photo.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("photo", args=[photo.pk])
    photo.refresh_from_db()
    assert photo.status == JobStatus.QUEUED
    assert AuditEntry.objects.filter(action=AuditAction.RETRY, object_id=str(photo.pk), user=bob).exists()


def test_it_refuses_to_retry_a_finished_analysis(as_alice, patient):
    photo = _row(patient)
    _done(photo, QualityVerdict.OK)

    response = as_alice.post(reverse("photo_retry", args=[photo.pk]), follow=True)

    assert "Only a failed job can be retried." in response.content.decode()
    photo.refresh_from_db()
    assert photo.status == JobStatus.DONE


def test_retry_is_for_staff_by_post_only(as_alice, as_pat, as_charlie, client, patient):
    photo = _row(patient, status=JobStatus.FAILED)
    url = reverse("photo_retry", args=[photo.pk])

    assert as_alice.get(url).status_code == 405
    assert as_pat.post(url).status_code == 403
    assert as_charlie.post(url).status_code == 404
    assert client.post(url).status_code == 302
    photo.refresh_from_db()
    assert photo.status == JobStatus.FAILED


# --- the photo page and the camera page -----------------------------------------------------------


def test_the_photo_page_shows_the_image_and_its_quality(as_alice, as_pat, as_quinn, patient):
    photo = _row(patient, view=View.LEFT)
    _done(photo, QualityVerdict.OK)

    page = as_alice.get(reverse("photo", args=[photo.pk])).content.decode()
    assert reverse("photo_image", args=[photo.pk]) in page
    assert "· left side ·" in page and "Usable" in page
    assert as_pat.get(reverse("photo", args=[photo.pk])).status_code == 200
    assert as_quinn.get(reverse("photo", args=[photo.pk])).status_code == 404


def test_the_photo_page_offers_staff_a_comparison_with_another_usable_photo(as_alice, as_pat, patient):
    first, second = _row(patient, "a"), _row(patient, "b")
    _done(first, QualityVerdict.OK)
    _done(second, QualityVerdict.OK)

    staff = as_alice.get(reverse("photo", args=[second.pk])).content.decode()
    own = as_pat.get(reverse("photo", args=[second.pk])).content.decode()

    assert reverse("comparison_new", args=[patient.pk]) in staff and f'<option value="{first.pk}">' in staff
    assert reverse("comparison_new", args=[patient.pk]) not in own


def test_the_camera_page_overlays_the_first_usable_photo_of_the_view(as_alice, patient):
    rejected = _row(patient, "r")
    _done(rejected, QualityVerdict.REJECT, reasons=["no face found"])
    baseline, later = _row(patient, "b"), _row(patient, "l")
    _done(baseline, QualityVerdict.OK)
    _done(later, QualityVerdict.OK)
    _row(patient, "q")  # not analysed yet

    page = as_alice.get(reverse("photo_capture", args=[patient.pk])).content.decode()

    assert f'src="{reverse("photo_image", args=[baseline.pk])}"' in page
    assert reverse("photo_image", args=[rejected.pk]) not in page
    assert reverse("photo_image", args=[later.pk]) not in page
    assert 'type="range"' in page and ">Take photo</button>" in page
    assert 'capture="user"' in page and 'accept="image/*"' in page
    assert f'action="{reverse("photo_upload", args=[patient.pk])}"' in page
    assert "front/capture.js" in page


def test_the_camera_page_without_a_baseline_says_so(as_alice, patient):
    page = as_alice.get(reverse("photo_capture", args=[patient.pk]), {"view": View.RIGHT}).content.decode()

    assert "There is no usable photo of this view yet" in page
    assert '<input type="hidden" name="view" value="right">' in page


def test_the_camera_page_ignores_a_view_that_does_not_exist(as_alice, patient):
    response = as_alice.get(reverse("photo_capture", args=[patient.pk]), {"view": "<script>"})

    assert response.status_code == 200
    assert '<input type="hidden" name="view" value="front">' in response.content.decode()


def test_the_camera_page_is_for_staff_of_the_clinic(as_bob, as_pat, as_charlie, client, patient):
    url = reverse("photo_capture", args=[patient.pk])

    assert as_bob.get(url).status_code == 200
    assert as_pat.get(url).status_code == 403
    assert as_charlie.get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_the_photo_page_gives_the_day_in_the_clinics_time_zone(as_charlie, harbour, charlie):
    sam = Patient.objects.create(clinic=harbour, first_name="Sam", last_name="Sea", date_of_birth=dt.date(1990, 1, 1))
    late_evening_in_new_york = dt.datetime(2025, 3, 2, 2, 30, tzinfo=dt.UTC)
    photo = _row(sam, "s", taken_at=late_evening_in_new_york)

    page = as_charlie.get(reverse("photo", args=[photo.pk])).content.decode()

    assert "Consultation of 1 Mar 2025 · front · 21:30" in page and "1 March 2025" in page


def test_the_photo_page_says_in_words_how_sharp_the_photo_is_and_its_glare(as_alice, as_pat, patient):
    photo, older = _row(patient, "a"), _row(patient, "b")
    _done(older, QualityVerdict.OK)  # an analysis from before these figures were recorded
    capture = {"effective_resolution_mm": 0.31, "noise": 0.012, "glare_fraction": 0.042}
    Photo.objects.filter(pk=photo.pk).update(
        status=JobStatus.DONE,
        quality=QualityVerdict.OK,
        analysis={"quality": {"verdict": "ok", "reasons": [], "warnings": [], **capture}},
    )

    for client in (as_alice, as_pat):
        page = client.get(reverse("photo", args=[photo.pk])).content.decode()
        assert "<li>Sharpness: resolves about 0.31 mm on the face</li>" in page
        assert "<li>Glare: shine on about 4 % of the face</li>" in page
    plain = as_alice.get(reverse("photo", args=[older.pk])).content.decode()
    assert "Sharpness" not in plain and "Glare" not in plain


def test_the_photo_page_gives_each_quality_note_once(as_alice, patient):
    # The quality gate lists a warning both among its reasons and its warnings.
    photo = _row(patient, "g")
    glare = "glare: shine on 9% of the face"
    _done(photo, QualityVerdict.WARN, reasons=[glare, "small face"], warnings=[glare])
    photo.refresh_from_db()

    assert photo.quality_notes() == [glare, "small face"]
    page = as_alice.get(reverse("photo", args=[photo.pk])).content.decode()
    assert page.count(glare) == 1
