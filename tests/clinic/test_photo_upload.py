"""Uploading photos: several at once, each broken file refused with its reason and nothing half-saved."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind, JobStatus, View
from dermadelta.clinic.records.models import Consent, Photo, TreatmentSession
from dermadelta.clinic.records.tasks import analyse_photo


def _file(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _png(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), (200, 150, 120))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels but holds only a few bytes of data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (200, 150, 120)).save(buffer, format="GIF")
    return buffer.getvalue()


def _stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def _upload(client: Client, patient: Any, files: list[SimpleUploadedFile], **fields: Any) -> Any:
    data = {"view": View.FRONT, "session": "", **fields, "photos": files}
    return client.post(reverse("photo_upload", args=[patient.pk]), data)


# --- the page -------------------------------------------------------------------------------------


def test_it_shows_a_drop_zone_that_works_as_a_plain_form(as_alice, patient):
    TreatmentSession.objects.create(patient=patient, number=1, on=timezone.localdate(), depths={"forehead": 0.5})

    response = as_alice.get(reverse("photo_upload", args=[patient.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<input type="file" name="photos" multiple accept="image/*"' in page
    assert 'enctype="multipart/form-data"' in page and "data-dropzone" in page
    assert '<select name="view"' in page and ">Left side</option>" in page
    assert '<select name="session"' in page and "Session 1 on" in page
    assert ">Upload</button>" in page
    assert "front/upload.js" in page


def test_its_page_is_open_to_colleagues_but_not_to_strangers_patients_or_anonymous(
    as_bob, as_charlie, as_pat, client, patient
):
    url = reverse("photo_upload", args=[patient.pk])
    assert as_bob.get(url).status_code == 200
    assert as_charlie.get(url).status_code == 404
    assert as_charlie.post(url, {"view": "front"}).status_code == 404
    assert as_pat.get(url).status_code == 403
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Photo.objects.exists()


# --- good uploads ---------------------------------------------------------------------------------


def test_it_saves_a_real_photo_and_shows_its_analysis_status(as_alice, patient, alice, face_pair, committed):
    with committed():
        response = _upload(as_alice, patient, [_file("before.jpg", face_pair[0])])

    assert response.status_code == 302
    photo = Photo.objects.get(patient=patient)
    assert response["Location"] == f"{reverse('photo_upload', args=[patient.pk])}?photos={photo.pk}"
    assert photo.uploaded_by == alice and photo.view == View.FRONT and photo.status == JobStatus.QUEUED
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="photo", object_id=str(photo.pk)).exists()
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(args_kwargs__args=[photo.pk]).exists()  # analysed by the worker, later

    page = as_alice.get(response["Location"]).content.decode()
    assert "1 photo saved" in page
    assert f'data-poll="{reverse("photo_status", args=[photo.pk])}"' in page
    assert reverse("photo_image", args=[photo.pk]) not in page  # its served copy is the worker's to make
    assert "Waiting for the worker" in page


def test_it_saves_the_good_photos_of_a_batch_and_lists_the_bad_ones(as_alice, patient, face_pair, private_media):
    files = [
        _file("before.jpg", face_pair[0]),
        _file("notes.jpg", b"These are my notes, not a photo."),
        _file("after.jpg", face_pair[1]),
    ]
    response = _upload(as_alice, patient, files, view=View.LEFT)

    saved = list(Photo.objects.filter(patient=patient))
    assert [p.original_name for p in saved] == ["before.jpg", "after.jpg"]
    assert {p.view for p in saved} == {View.LEFT}
    assert len(_stored_files(private_media)) == 2  # the originals; the worker makes the served copies
    page = as_alice.get(response["Location"]).content.decode()
    assert "Not saved: notes.jpg: not an image" in page
    assert "2 photos saved" in page
    assert all(reverse("photo_status", args=[p.pk]) in page for p in saved)


def test_it_answers_fetch_uploads_with_json(as_alice, patient, face_pair):
    url = reverse("photo_upload", args=[patient.pk])
    data = {"view": "front", "photos": [_file("a.jpg", face_pair[0]), _file("b.jpg", b"")]}

    response = as_alice.post(url, data, headers={"Accept": "application/json"})

    assert response.status_code == 200
    answer = response.json()
    photo = Photo.objects.get(patient=patient)
    assert [s["id"] for s in answer["saved"]] == [photo.pk]
    assert f'data-poll="{reverse("photo_status", args=[photo.pk])}"' in answer["saved"][0]["html"]
    assert answer["refused"] == ["b.jpg: empty file"]


def test_it_links_a_photo_to_a_charted_session(as_alice, patient, face_pair):
    session = TreatmentSession.objects.create(patient=patient, number=2, on=timezone.localdate(), depths={"nose": 0.5})

    _upload(as_alice, patient, [_file("a.jpg", face_pair[0])], session=str(session.pk))

    assert Photo.objects.get(patient=patient).session == session


# --- broken and hostile files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("renamed.jpg", b"Dear diary, today I had my skin done.\n" * 20, "renamed.jpg: not an image"),
        ("empty.jpg", b"", "empty.jpg: empty file"),
        ("tiny.png", _png(1, 1), "tiny.png: 1x1 is too small to measure skin"),
        ("bomb.png", _bomb_png(), "bomb.png: image claims too many pixels"),
        ("moving.gif", _gif(), "moving.gif: GIF images are not supported"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_usable_photo(as_alice, patient, private_media, name, data, reason):
    response = _upload(as_alice, patient, [_file(name, data)])

    assert not Photo.objects.exists()
    assert _stored_files(private_media) == []
    page = as_alice.get(response["Location"]).content.decode()
    assert f"Not saved: {reason}" in page


def test_a_truncated_jpeg_is_refused_by_the_worker_by_name_and_nothing_of_it_kept(
    as_alice, patient, face_pair, private_media
):
    half = face_pair[0][: len(face_pair[0]) // 2]  # its header is whole: only decoding finds the cut

    response = _upload(as_alice, patient, [_file("cut.jpg", half)])

    photo = Photo.objects.get(patient=patient)
    assert response.status_code == 302 and photo.status == JobStatus.QUEUED
    analyse_photo.call(photo.pk)

    photo.refresh_from_db()
    assert photo.status == JobStatus.FAILED
    assert photo.failure.startswith("cut.jpg: truncated or corrupt image data")
    assert photo.failure.endswith("Nothing of it was kept.")
    assert not photo.original and not photo.display and _stored_files(private_media) == []
    status = as_alice.get(reverse("photo_status", args=[photo.pk])).content.decode()
    assert "Not saved" in status and "cut.jpg: truncated" in status and "Retry" not in status
    with pytest.raises(actions.ActionError, match="could not be read and was not kept"):
        actions.retry(photo, by=photo.uploaded_by)


def test_it_refuses_more_files_than_one_upload_may_carry(as_alice, patient, settings, private_media):
    files = [_file(f"p{i}.jpg", b"x") for i in range(settings.MAX_PHOTOS_PER_UPLOAD + 1)]

    response = _upload(as_alice, patient, files)

    assert response.status_code == 400
    assert f"Upload at most {settings.MAX_PHOTOS_PER_UPLOAD} photos at once." in response.content.decode()
    assert not Photo.objects.exists() and _stored_files(private_media) == []


def test_it_asks_for_at_least_one_photo(as_alice, patient):
    response = _upload(as_alice, patient, [])

    assert response.status_code == 400
    assert "Choose at least one photo." in response.content.decode()


def test_it_refuses_photos_without_photography_consent(as_alice, patient, face_pair, private_media):
    patient.consents.filter(kind=ConsentKind.PHOTOGRAPHY).update(withdrawn_at=timezone.now())

    response = _upload(as_alice, patient, [_file("a.jpg", face_pair[0])])

    assert response.status_code == 400
    assert "Pat Doe has no active clinical photography consent." in response.content.decode()
    assert not Photo.objects.exists() and _stored_files(private_media) == []


def test_it_refuses_photography_without_consent_over_fetch_too(as_alice, patient, face_pair):
    patient.consents.filter(kind=ConsentKind.PHOTOGRAPHY).update(withdrawn_at=timezone.now())
    url = reverse("photo_upload", args=[patient.pk])

    response = as_alice.post(
        url, {"view": "front", "photos": [_file("a.jpg", face_pair[0])]}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == ["Pat Doe has no active clinical photography consent."]


def test_it_refuses_a_view_that_does_not_exist(as_alice, patient, face_pair):
    response = _upload(as_alice, patient, [_file("a.jpg", face_pair[0])], view="top")

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Photo.objects.exists()


def test_it_refuses_a_session_of_another_patient(as_alice, patient, quinn, face_pair):
    other = TreatmentSession.objects.create(patient=quinn, number=1, on=timezone.localdate(), depths={"nose": 0.5})

    response = _upload(as_alice, patient, [_file("a.jpg", face_pair[0])], session=str(other.pk))

    assert response.status_code == 400
    assert not Photo.objects.exists()


def test_it_escapes_a_hostile_file_name(as_alice, patient):
    response = _upload(as_alice, patient, [_file("<img src=x onerror=alert(1)>.jpg", b"not a photo")])

    page = as_alice.get(response["Location"]).content.decode()
    assert "Not saved: &lt;img src=x onerror=alert(1)&gt;.jpg: not an image" in page
    assert "<img src=x" not in page


def test_it_keeps_no_folders_of_an_uploaded_file_name(as_alice, patient, face_pair):
    _upload(as_alice, patient, [_file("../../etc/passwd.jpg", face_pair[0])])

    assert Photo.objects.get(patient=patient).original_name == "passwd.jpg"


def test_the_results_of_an_upload_list_only_this_patients_photos(as_alice, patient, quinn, alice, face_pair):
    theirs = actions.upload_photos(
        _with_consent(quinn, alice), [("q.jpg", face_pair[0])], view="front", session=None, by=alice
    )
    url = reverse("photo_upload", args=[patient.pk])

    hostile = f"{theirs.saved[0].pk},abc,-1,99999999999999999999,\u00b2,\u0663"  # superscript two, Arabic three
    response = as_alice.get(url, {"photos": hostile})
    page = response.content.decode()

    assert response.status_code == 200

    assert reverse("photo_status", args=[theirs.saved[0].pk]) not in page
    assert "Nothing uploaded yet" in page


def _with_consent(quinn: Any, by: Any) -> Any:
    Consent.objects.create(patient=quinn, kind=ConsentKind.PHOTOGRAPHY, granted_by=by)
    return quinn


@pytest.mark.parametrize("kind", ["web", "fetch"])
def test_a_file_that_broke_the_decoder_is_refused_by_name_and_the_good_ones_kept(
    as_alice, patient, face_pair, private_media, kind
):
    from tools.decode_fuzz import regression_inputs

    broken = regression_inputs()
    files = [
        _file("palette.png", broken["png-palette-without-plte"], "image/png"),
        _file("good.jpg", face_pair[0]),
        _file("strips.tif", broken["tiff-rational-strip-offsets"], "image/tiff"),
    ]
    headers = {"Accept": "application/json"} if kind == "fetch" else {}
    data = {"view": View.FRONT, "session": "", "photos": files}

    response = as_alice.post(reverse("photo_upload", args=[patient.pk]), data, headers=headers)

    # The palette is missing from the header: refused at the door. The strips are only read when decoding.
    assert [p.original_name for p in Photo.objects.filter(patient=patient)] == ["good.jpg", "strips.tif"]
    at_the_door = ["palette.png: a palette image without its colour palette"]
    if kind == "fetch":
        assert response.status_code == 200 and response.json()["refused"] == at_the_door
    else:
        page = as_alice.get(response["Location"]).content.decode()
        assert f"Not saved: {at_the_door[0]}" in page and "2 photos saved" in page
    strips = Photo.objects.get(original_name="strips.tif")
    analyse_photo.call(strips.pk)
    strips.refresh_from_db()
    assert strips.failure == "strips.tif: damaged file, or not a photo that can be read. Nothing of it was kept."
    assert len(_stored_files(private_media)) == 1  # the good photo's original, still waiting for the worker
