"""A request Django cannot read (a file name too long for an upload) is refused with its reason in plain words."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from dermadelta.clinic.records.models import Photo
from dermadelta.clinic.unreadable import LONG_FILE_NAME
from tests.api.conftest import BASE, error_of

BOUNDARY = "----dermadelta-test"


def _multipart(file_name: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body as a browser sends it: the file name whole (Django's test client would shorten it)."""
    head = f"--{BOUNDARY}\r\n".encode()
    body = (
        head
        + b'Content-Disposition: form-data; name="view"\r\n\r\nfront\r\n'
        + head
        + f'Content-Disposition: form-data; name="photos"; filename="{file_name}"\r\n'.encode()
        + b"Content-Type: image/jpeg\r\n\r\n"
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={BOUNDARY}"


LONG_NAME = "a" * 1000 + ".jpg"


def test_a_thousand_character_file_name_gets_a_page_that_names_the_problem(as_alice, patient, face_pair):
    body, content_type = _multipart(LONG_NAME, face_pair[0])

    response = as_alice.post(reverse("photo_upload", args=[patient.pk]), body, content_type=content_type)

    page = response.content.decode()
    assert response.status_code == 400
    assert "A file name is too long. Give the file a shorter name and upload it again." in page
    assert "Nothing was saved." in page and "front/app.css" in page
    assert not Photo.objects.exists()


def test_a_fetch_upload_gets_the_reason_in_the_uploads_json(as_alice, patient, face_pair):
    body, content_type = _multipart(LONG_NAME, face_pair[0])
    url = reverse("photo_upload", args=[patient.pk])

    response = as_alice.post(url, body, content_type=content_type, headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert response.json() == {"saved": [], "refused": [], "errors": [LONG_FILE_NAME]}


def test_the_api_names_the_problem_in_its_error_shape(api_alice, patient, face_pair):
    body, content_type = _multipart(LONG_NAME, face_pair[0])

    response = api_alice.post(f"{BASE}/patients/{patient.pk}/photos", body, content_type=content_type)

    assert error_of(response, 400, "validation")["message"] == LONG_FILE_NAME
    assert not Photo.objects.exists()


def test_a_long_name_that_fits_is_saved_under_a_shortened_label(api_alice, patient, face_pair):
    body, content_type = _multipart("b" * 300 + ".jpg", face_pair[0])

    response = api_alice.post(f"{BASE}/patients/{patient.pk}/photos", body, content_type=content_type)

    assert response.status_code == 201
    assert Photo.objects.get(patient=patient).original_name == "b" * 120


def test_a_body_that_is_not_multipart_as_it_claims_gets_a_plain_page(as_alice, patient):
    url = reverse("photo_upload", args=[patient.pk])

    response = as_alice.post(url, b"nonsense", content_type="multipart/form-data")  # no boundary

    assert response.status_code == 400 and "The request could not be read." in response.content.decode()


def test_the_page_renders_without_a_request_as_djangos_own_handler_does(db):
    page = render_to_string("400.html")
    assert "The request could not be read. Nothing was saved." in page
