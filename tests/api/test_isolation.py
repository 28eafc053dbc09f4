"""Every operation of the API answers a stranger 404, a patient 403 and a caller without a token 401.

The operations are read from the API's own URL map and OpenAPI document, so an
operation added later without its guard (or without an entry here) fails.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern

from dermadelta.clinic.api.main import api
from dermadelta.clinic.api.models import ApiToken
from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records.models import (
    Comparison,
    Consent,
    Consultation,
    Patient,
    Photo,
    TreatmentPlan,
    TreatmentSession,
)
from tests.api.conftest import BASE, error_of
from tests.clinic.test_isolation import record_of_pat  # noqa: F401  (the fixture: one row of each kind)

#: Addresses of the API that are not operations on records.
NOT_OPERATIONS = {"openapi-json", "openapi-view", "api-root", None}
#: Operations about no single record (the clinic's list, a new patient of the caller's own clinic).
CLINIC_WIDE = {"list_patients", "create_patient"}
MODELS = (Patient, Consent, Consultation, TreatmentPlan, TreatmentSession, Photo, Comparison)


def operations() -> dict[str, tuple[str, str]]:
    """operationId: (method, path template) of every operation in the OpenAPI document."""
    doc = api.get_openapi_schema(path_prefix=f"{BASE}/")
    return {op["operationId"]: (method, path) for path, ops in doc["paths"].items() for method, op in ops.items()}


def url_names() -> set[str | None]:
    return {p.name for p in api.urls[0] if isinstance(p, URLPattern)}


def body_of(operation_id: str, ids: dict[str, Any]) -> dict[str, Any] | None:
    """A well-formed request body for the operation (so that only the guard can refuse it)."""
    today = dt.date.today().isoformat()
    bodies: dict[str, dict[str, Any] | None] = {
        "create_patient": {"first_name": "New", "last_name": "Patient", "date_of_birth": "1990-01-01"},
        "grant_consent": {"kind": "marketing"},
        "withdraw_consent": None,
        "record_consultation": {"zones": ["forehead"], "answers": {}},
        "create_plan": {"targets": ["texture:forehead"], "start": today},
        "chart_session": {"on": today, "number": 2, "depths": {"forehead": 0.5}},
        "upload_photos": {"view": "front", "photos": [SimpleUploadedFile("a.jpg", b"\xff\xd8\xff")]},
        "request_comparison": {"before_id": ids["photo"], "after_id": ids["after_photo"]},
        "retry_photo": None,
        "retry_comparison": None,
    }
    return bodies[operation_id]


@pytest.fixture
def pat_records(record_of_pat: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    comparison = Comparison.objects.get(pk=record_of_pat["comparison"])
    comparison.report_pdf.save("report.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    return {**record_of_pat, "after_photo": comparison.after_id}


def call(client: Client, operation_id: str, method: str, path: str, ids: dict[str, Any]) -> Any:
    kinds = {name: ids[name.removesuffix("_id")] for name in re.findall(r"{(\w+)}", path)}
    url = re.sub(r"{(\w+)}", lambda m: str(kinds[m.group(1)]), path)
    if method == "get":
        return client.get(url)
    body = body_of(operation_id, ids)
    if operation_id == "upload_photos":
        return client.post(url, body)
    return client.post(url, body, content_type="application/json") if body is not None else client.post(url)


def snapshot() -> list[int]:
    """What was read or written (a refusal's security entry is neither)."""
    read_or_written = AuditEntry.objects.exclude(action=AuditAction.REFUSED)
    return [read_or_written.count(), *(model.objects.count() for model in MODELS)]


def test_the_walk_covers_every_operation_of_the_url_map():
    ops = operations()
    assert set(ops) == url_names() - NOT_OPERATIONS
    assert len(ops) >= 24
    for operation_id, (method, _) in ops.items():
        if method == "post":
            body_of(operation_id, {"photo": 1, "after_photo": 2})  # a new operation needs its body here


def test_a_stranger_gets_404_on_every_record_operation_and_nothing_is_read_or_written(pat_records, api_charlie):
    before = snapshot()
    record_ops = {k: v for k, v in operations().items() if k not in CLINIC_WIDE}
    for operation_id, (method, path) in record_ops.items():
        response = call(api_charlie, operation_id, method, path, pat_records)
        error = error_of(response, 404, "not_found")
        assert "Pat" not in response.content.decode(), operation_id
        assert error["details"] == [], operation_id
    assert snapshot() == before
    refusals = AuditEntry.objects.filter(action=AuditAction.REFUSED, username="charlie")
    assert refusals.count() == len(record_ops)  # each one a security event in Pat's clinic's log
    assert set(refusals.values_list("clinic__name", flat=True)) == {"Riverside Skin"}


def test_a_stranger_never_sees_the_patient_in_the_clinic_list(pat_records, api_charlie):
    response = api_charlie.get(f"{BASE}/patients?q=Pat")
    assert response.status_code == 200 and response.json() == {"count": 0, "items": []}


def test_a_colleague_reads_every_record(pat_records, api_bob):
    for operation_id, (method, path) in operations().items():
        if method == "get":
            response = call(api_bob, operation_id, method, path, pat_records)
            assert response.status_code == 200, (operation_id, response.content[:300])


def test_a_patient_is_forbidden_everywhere_even_on_their_own_record(pat_records, api_pat):
    before = snapshot()
    for operation_id, (method, path) in operations().items():
        error_of(call(api_pat, operation_id, method, path, pat_records), 403, "forbidden")
    assert snapshot() == before


def test_no_token_is_401_everywhere(pat_records, client):
    before = snapshot()
    for operation_id, (method, path) in operations().items():
        error_of(call(client, operation_id, method, path, pat_records), 401, "unauthorized")
    assert snapshot() == before
    assert not ApiToken.objects.exists()
