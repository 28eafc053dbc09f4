"""Hostile and broken requests: each gets the one error shape, and nothing is written."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dermadelta.clinic.audit.models import AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.models import Consent, Consultation, Patient, Photo, TreatmentPlan, TreatmentSession
from tests.api.conftest import BASE, error_of

MODELS = (Patient, Consent, Consultation, TreatmentPlan, TreatmentSession, Photo, AuditEntry)
VALID_PATIENT = {"first_name": "Robin", "last_name": "Ng", "date_of_birth": "1990-05-06"}
TODAY = dt.date.today().isoformat()


@pytest.fixture
def nothing_written(patient: Any, private_media: Path) -> Any:
    """After the test: not one row or stored file more than before it."""
    before = [m.objects.count() for m in MODELS]
    yield
    assert [m.objects.count() for m in MODELS] == before
    assert not private_media.exists() or not any(p.is_file() for p in private_media.rglob("*"))


def post_json(client: Any, path: str, body: Any) -> Any:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"{BASE}{path}", raw, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**VALID_PATIENT, "first_name": 12}, "body.first_name"),  # a number where text goes
        ({**VALID_PATIENT, "fitzpatrick": "3"}, "body.fitzpatrick"),  # a number in quotes is text
        ({**VALID_PATIENT, "fitzpatrick": "٣"}, "body.fitzpatrick"),  # an Arabic-Indic three
        ({**VALID_PATIENT, "fitzpatrick": 3.5}, "body.fitzpatrick"),
        ({**VALID_PATIENT, "date_of_birth": 0}, "body.date_of_birth"),  # not seconds since 1970
        ({**VALID_PATIENT, "date_of_birth": "1990-02-30"}, "body.date_of_birth"),
        ({**VALID_PATIENT, "date_of_birth": "١٩٩٠-٠٥-٠٦"}, "body.date_of_birth"),  # Arabic-Indic digits
        ({k: v for k, v in VALID_PATIENT.items() if k != "last_name"}, "body.last_name"),  # missing
        ({**VALID_PATIENT, "clinic_id": 2}, "body.clinic_id"),  # extra: a patient of another clinic
        ({**VALID_PATIENT, "simulated": True}, "body.simulated"),
        ([VALID_PATIENT], "body"),
    ],
)
def test_it_refuses_a_malformed_patient(api_alice, nothing_written, body, field):
    error = error_of(post_json(api_alice, "/patients", body), 422, "validation")
    assert field in [d["field"] for d in error["details"]]


@pytest.mark.parametrize(
    "fitzpatrick",
    [10**30, -(10**30), 2**63],
)
def test_it_refuses_huge_numbers(api_alice, nothing_written, fitzpatrick):
    error_of(post_json(api_alice, "/patients", {**VALID_PATIENT, "fitzpatrick": fitzpatrick}), 400, "validation")


@pytest.mark.parametrize(
    "raw",
    ["", "{", "null", "[]", '"text"', "{" * 100_000, '{"first_name": NaN}', b"\xff\xfe\x00"],
)
def test_it_refuses_a_body_that_is_not_a_json_object(api_alice, nothing_written, raw):
    response = post_json(api_alice, "/patients", raw)
    assert response.status_code in (400, 422)
    error_of(response, response.status_code, "validation")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sessions", {"on": TODAY, "number": 10**30, "depths": {"forehead": 0.5}}),
        ("/sessions", {"on": TODAY, "number": "1", "depths": {"forehead": 0.5}}),
        ("/sessions", {"on": TODAY, "number": 1, "depths": {"forehead": 1e308 * 10}}),
        ("/sessions", {"on": TODAY, "number": 1, "depths": [0.5]}),
        ("/sessions", {"on": TODAY, "number": 1, "depths": {"forehead": 0.5}, "practitioner_id": 1}),
        ("/sessions", {"on": TODAY, "number": 1, "passes": 10**9, "depths": {"forehead": 0.5}}),
        ("/sessions", {"on": TODAY, "number": 1, "numbing_minutes": -5, "depths": {"forehead": 0.5}}),
        ("/plans", {"targets": ["texture:forehead"], "start": TODAY, "sessions": 10**30}),
        ("/plans", {"targets": ["texture:forehead"], "start": TODAY, "depth_mm": {"forehead": "NaN"}}),
        ("/plans", {"targets": [], "start": TODAY}),
        ("/plans", {"targets": "texture:forehead", "start": TODAY}),
        ("/consultations", {"zones": "forehead", "answers": {}}),
        ("/consultations", {"zones": ["forehead"], "answers": {"age": 10**40}}),
        ("/consultations", {"zones": ["forehead"], "answers": []}),
        ("/consents", {"kind": "marketing", "note": "x" * 301}),
        ("/consents", {"kind": ["marketing"]}),
        ("/comparisons", {"before_id": 2**64, "after_id": 1}),
        ("/comparisons", {"before_id": "1", "after_id": "2"}),
    ],
)
def test_it_refuses_hostile_record_changes(api_alice, patient, nothing_written, path, body):
    response = post_json(api_alice, f"/patients/{patient.pk}{path}", body)
    assert response.status_code in (400, 422), response.content
    error_of(response, response.status_code, "validation")


@pytest.mark.parametrize(
    "path",
    ["/patients/99999999999999999999999", "/patients/-1", "/patients/0", "/patients/1.5", "/patients/١", "/photos/x"],
)
def test_ids_that_cannot_be_ids_are_refused_before_any_query(api_alice, nothing_written, path):
    error = error_of(api_alice.get(f"{BASE}{path}"), 422, "validation")
    assert error["details"][0]["field"].startswith("path.")


def test_unknown_addresses_and_methods_answer_in_the_error_shape(api_alice, patient):
    error_of(api_alice.get(f"{BASE}/nothing/here"), 404, "not_found")
    error_of(api_alice.get(f"{BASE}/"), 404, "not_found")
    response = api_alice.delete(f"{BASE}/patients/{patient.pk}")
    error_of(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_an_unexpected_failure_is_a_500_without_trace_or_path(api_alice, monkeypatch, nothing_written):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail at /srv/dermadelta/var/db.sqlite3")

    monkeypatch.setattr(actions, "create_patient", broken)

    response = post_json(api_alice, "/patients", VALID_PATIENT)

    error = error_of(response, 500, "server_error")
    assert "secret" not in response.content.decode() and "/srv" not in response.content.decode()
    assert "Traceback" not in error["message"]


def test_a_value_the_database_refuses_is_a_400_not_a_server_error(api_alice, monkeypatch, nothing_written):
    from django.db import DataError

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

    monkeypatch.setattr(actions, "create_patient", refused)

    error = error_of(post_json(api_alice, "/patients", VALID_PATIENT), 400, "validation")
    assert "cannot be stored" in error["message"] and "PostgreSQL" not in error["message"]


# --- uploads -----------------------------------------------------------------------------------------------


def upload(client: Any, patient: Any, files: list[SimpleUploadedFile], **tags: Any) -> Any:
    return client.post(f"{BASE}/patients/{patient.pk}/photos", {"photos": files, **tags})


def test_a_file_that_is_not_an_image_is_refused_with_its_reason(api_alice, patient, nothing_written):
    files = [SimpleUploadedFile("report.pdf", b"%PDF-1.4 not a photo", "image/jpeg")]
    error = error_of(upload(api_alice, patient, files), 400, "validation")
    assert error["message"] == "No photo was saved." and "report.pdf" in error["details"][0]["message"]


def test_a_truncated_jpeg_is_refused_by_the_worker_by_name_keeping_nothing(
    api_alice, patient, face_pair, private_media
):
    from dermadelta.clinic.records.tasks import analyse_photo

    files = [SimpleUploadedFile("cut.jpg", face_pair[0][: len(face_pair[0]) // 2], "image/jpeg")]
    response = upload(api_alice, patient, files)  # its header is whole: only decoding finds the cut
    assert response.status_code == 201
    photo_id = response.json()["saved"][0]["id"]

    analyse_photo.call(photo_id)

    detail = api_alice.get(f"{BASE}/photos/{photo_id}").json()
    assert detail["status"] == "failed" and detail["failure"].startswith("cut.jpg: truncated")
    assert not any(p.is_file() for p in private_media.rglob("*"))


def test_too_many_files_are_refused_at_once(api_alice, patient, face_pair, settings, nothing_written):
    files = [
        SimpleUploadedFile(f"{n}.jpg", face_pair[0], "image/jpeg") for n in range(settings.MAX_PHOTOS_PER_UPLOAD + 1)
    ]
    error = error_of(upload(api_alice, patient, files), 400, "validation")
    assert f"at most {settings.MAX_PHOTOS_PER_UPLOAD}" in error["message"]


@pytest.mark.parametrize(
    "tags",
    [{"view": "top"}, {"session_id": "x"}, {"session_id": "99999999999999999999999"}, {"session_id": "٣"}],
)
def test_upload_tags_are_checked(api_alice, patient, face_pair, nothing_written, tags):
    files = [SimpleUploadedFile("a.jpg", face_pair[0], "image/jpeg")]
    error_of(upload(api_alice, patient, files, **tags), 422, "validation")


def test_an_upload_without_files_is_refused(api_alice, patient, nothing_written):
    error_of(upload(api_alice, patient, []), 422, "validation")
    response = api_alice.post(f"{BASE}/patients/{patient.pk}/photos", {"photos": "not a file"})
    error_of(response, 422, "validation")


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\u00e9"]
)
def test_a_multipart_body_without_a_usable_boundary_is_refused(api_alice, patient, nothing_written, content_type):
    response = api_alice.generic(
        "POST", f"{BASE}/patients/{patient.pk}/photos", b"--x\r\n\r\n", content_type=content_type
    )
    error_of(response, 400, "validation")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/patients?q=Pa%00t", None),
        ("post", "/patients", {**VALID_PATIENT, "last_name": "Ng\u0000"}),
        ("post", "/patients/{pk}/consultations", {"zones": ["forehead"], "answers": {"pregnant\u0000": False}}),
        ("post", "/patients/{pk}/consents", {"kind": "marketing", "note": "\u0000"}),
    ],
)
def test_a_nul_character_anywhere_is_refused_before_the_database(
    api_alice, patient, nothing_written, method, path, body
):
    # PostgreSQL cannot store one in text or JSON; SQLite would have stored it silently.
    url = f"{BASE}{path.format(pk=patient.pk)}"
    response = api_alice.get(url) if method == "get" else post_json(api_alice, path.format(pk=patient.pk), body)
    assert "NUL" in json.dumps(error_of(response, 422, "validation"))
