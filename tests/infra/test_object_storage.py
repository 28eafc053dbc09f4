"""Photos, visuals and reports in S3-compatible object storage (a real moto S3 server).

Every test goes through the clinic's own code: the upload page, the database
worker, the authorizing views. The bucket is read back with boto3 to see what
an operator of the object store would see.
"""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dermadelta.clinic.infrastructure import photo_storage
from dermadelta.clinic.records.choices import JobStatus, View
from dermadelta.clinic.records.models import Comparison, Photo
from tests.clinic.photo_records import served_copies
from tests.infra.conftest import Bucket

UPLOADED_NAME = "Pat Doe before 2024.jpg"


def _upload(client: Any, patient: Any, data: bytes, committed: Any, name: str = UPLOADED_NAME) -> Photo:
    with committed():  # the analysis is enqueued when the upload commits
        response = client.post(
            reverse("photo_upload", args=[patient.pk]),
            {"view": View.FRONT, "session": "", "photos": [SimpleUploadedFile(name, data, "image/jpeg")]},
        )
    assert response.status_code == 302, response.content.decode()[:500]
    photo = Photo.objects.filter(patient=patient).latest("pk")
    served_copies(photo)  # the worker's first step, made here: the tests below read the served copy
    return photo


def test_an_upload_stores_the_original_and_the_display_copy_in_the_bucket(
    object_storage: Bucket, as_alice, patient, face_pair, committed
):
    photo = _upload(as_alice, patient, face_pair[0], committed)

    assert object_storage.keys() == sorted([photo.original.name, photo.display.name])
    assert object_storage.read(photo.original.name) == face_pair[0]  # kept exactly as uploaded
    assert object_storage.read(photo.display.name)[:2] == b"\xff\xd8"  # the re-encoded JPEG


def test_object_keys_carry_neither_the_patients_name_nor_the_file_name(
    object_storage: Bucket, as_alice, patient, face_pair, committed
):
    photo = _upload(as_alice, patient, face_pair[0], committed)

    folder = f"clinic-{patient.clinic_id}/patient-{patient.pk}"
    name = photo.sha256[:16]  # the content's hash: nothing of the patient or the upload's name
    assert object_storage.keys() == [f"{folder}/{name}-display.jpg", f"{folder}/{name}-original"]


def test_stored_objects_are_private(object_storage: Bucket, as_alice, patient, face_pair, committed):
    photo = _upload(as_alice, patient, face_pair[0], committed)

    for key in (photo.original.name, photo.display.name):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{object_storage.endpoint}/{object_storage.name}/{key}", timeout=10)
        assert refused.value.code == 403


def test_the_worker_analyses_a_photo_read_from_the_bucket(
    object_storage: Bucket, as_alice, patient, face_pair, committed, run_worker
):
    photo = _upload(as_alice, patient, face_pair[0], committed)

    run_worker()

    photo.refresh_from_db()
    assert photo.status == JobStatus.DONE, photo.failure
    assert photo.analysis["quality"]["verdict"] == photo.quality


def test_the_photo_view_serves_the_display_copy_from_the_bucket(
    object_storage: Bucket, as_alice, patient, face_pair, committed
):
    photo = _upload(as_alice, patient, face_pair[0], committed)

    response = as_alice.get(reverse("photo_image", args=[photo.pk]))

    assert response.status_code == 200
    assert response.content == object_storage.read(photo.display.name)
    assert response["Cache-Control"] == "private, no-store"


def test_a_stranger_gets_no_photo_from_the_bucket(
    object_storage: Bucket, as_alice, as_charlie, patient, face_pair, committed
):
    photo = _upload(as_alice, patient, face_pair[0], committed)

    assert as_charlie.get(reverse("photo_image", args=[photo.pk])).status_code == 404


def test_a_comparisons_visuals_and_report_are_stored_in_the_bucket(
    object_storage: Bucket, as_alice, patient, face_pair, committed, run_worker
):
    before = _upload(as_alice, patient, face_pair[0], committed)
    Photo.objects.filter(pk=before.pk).update(uploaded_at=before.uploaded_at - dt.timedelta(days=60))
    run_worker()
    _upload(as_alice, patient, face_pair[1], committed, name="after.jpg")
    with committed():  # the comparison is enqueued when the after photo's analysis commits
        run_worker()
    run_worker()

    comparison = Comparison.objects.get(patient=patient)
    assert comparison.status == JobStatus.DONE, comparison.failure
    stored = set(object_storage.keys())
    files = comparison.visuals["files"]
    assert {"before", "after", "heatmap-redness"} <= set(files)
    assert {comparison.report_pdf.name, *files.values()} <= stored

    pdf = as_alice.get(reverse("comparison_pdf", args=[comparison.pk]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    assert pdf.content == object_storage.read(comparison.report_pdf.name)
    visual = as_alice.get(reverse("comparison_visual", args=[comparison.pk, "before"]))
    assert visual.status_code == 200
    assert visual.content == object_storage.read(files["before"])


def test_a_missing_object_fails_the_job_with_its_reason(
    object_storage: Bucket, as_alice, patient, face_pair, committed, run_worker
):
    photo = _upload(as_alice, patient, face_pair[0], committed)
    object_storage.client.delete_object(Bucket=object_storage.name, Key=photo.original.name)

    run_worker()  # the worker logs the traceback and goes on; the row says why

    photo.refresh_from_db()
    assert photo.status == JobStatus.FAILED
    assert "FileNotFoundError" in photo.failure
    assert photo.original.name not in photo.failure  # no storage keys on the page


def test_a_missing_display_copy_is_a_404_not_a_server_error(
    object_storage: Bucket, as_alice, patient, face_pair, committed
):
    photo = _upload(as_alice, patient, face_pair[0], committed)
    object_storage.client.delete_object(Bucket=object_storage.name, Key=photo.display.name)

    assert as_alice.get(reverse("photo_image", args=[photo.pk])).status_code == 404


def test_a_prefix_keeps_the_installations_objects_under_it(
    s3_environment: Bucket, private_media, settings, tmp_path, monkeypatch, as_alice, patient, face_pair, committed
):
    monkeypatch.setenv("DERMADELTA_S3_PREFIX", "/riverside/photos/")
    settings.STORAGES = {**settings.STORAGES, "default": photo_storage(tmp_path)}

    photo = _upload(as_alice, patient, face_pair[0], committed)

    keys = s3_environment.keys()
    assert len(keys) == 2
    assert all(key.startswith("riverside/photos/clinic-") for key in keys)
    assert default_storage.open(photo.display.name).read() == s3_environment.read(
        f"riverside/photos/{photo.display.name}"
    )


# Configuration, as docs/CLINIC.md and infrastructure.py describe it.


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_bucket_name_keeps_photos_in_the_local_folder(value, monkeypatch, tmp_path):
    monkeypatch.setenv("DERMADELTA_S3_BUCKET", value)
    monkeypatch.setenv("DERMADELTA_S3_ENDPOINT_URL", "not even a url")  # not read without a bucket

    storage = photo_storage(tmp_path)

    assert storage["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert storage["OPTIONS"]["location"] == str(tmp_path / "media")


def test_a_bucket_gives_private_object_storage(monkeypatch, tmp_path):
    monkeypatch.setenv("DERMADELTA_S3_BUCKET", " clinic-photos ")
    monkeypatch.delenv("DERMADELTA_S3_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("DERMADELTA_S3_REGION", raising=False)
    monkeypatch.delenv("DERMADELTA_S3_SSL", raising=False)

    options = photo_storage(tmp_path)["OPTIONS"]

    assert options["bucket_name"] == "clinic-photos"
    assert options["endpoint_url"] is None  # Amazon S3 itself
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    assert options["use_ssl"] is True


@pytest.mark.parametrize(
    "endpoint", ["ftp://files.example.org", "localhost:9000", "s3.example.org", "http://", "https:///bucket"]
)
def test_a_bad_endpoint_url_stops_start_up_naming_the_variable(endpoint, monkeypatch, tmp_path):
    monkeypatch.setenv("DERMADELTA_S3_BUCKET", "clinic-photos")
    monkeypatch.setenv("DERMADELTA_S3_ENDPOINT_URL", endpoint)

    with pytest.raises(ImproperlyConfigured, match="DERMADELTA_S3_ENDPOINT_URL"):
        photo_storage(tmp_path)


def test_a_malformed_ssl_switch_stops_start_up_naming_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("DERMADELTA_S3_BUCKET", "clinic-photos")
    monkeypatch.setenv("DERMADELTA_S3_SSL", "sometimes")

    with pytest.raises(ImproperlyConfigured, match="DERMADELTA_S3_SSL"):
        photo_storage(tmp_path)
