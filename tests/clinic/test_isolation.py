"""Every page of a patient's record answers 404 to strangers and sends anonymous visitors to sign in.

The list of URLs is read from the URL map itself, so a page added later without
its guard fails here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, reverse

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.front import urls as front_urls
from dermadelta.clinic.records.choices import ConsentKind, JobStatus, Verdict
from dermadelta.clinic.records.models import (
    Comparison,
    Consent,
    Consultation,
    Photo,
    TreatmentPlan,
    TreatmentSession,
)

# Pages that are not about one record, and what a stranger to a clinic gets there.
# The calendar feed needs no sign-in: its secret is the key (tests/clinic/test_calendar_feed.py).
PUBLIC = {"login", "logout", "calendar_feed", "portal_welcome"}  # a secret in the address, no sign-in
WITHOUT_RECORD = {
    "home",
    "dashboard",
    "patients",
    "patient_new",
    "portal",
    "portal_calendar_feed",
    "portal_calendar_feed_revoke",
    "audit_log",
    "marketing_export",
    "marketing_zip",
    "sources",
}


def _named_patterns() -> list[URLPattern]:
    return [p for p in front_urls.urlpatterns if isinstance(p, URLPattern) and p.name]


@pytest.fixture
def record_of_pat(patient: Any, alice: Any) -> dict[str, Any]:
    """One row of every kind in Pat's record, keyed by the URL names that take its id."""
    today = dt.date.today()
    consent = Consent.objects.get(patient=patient, kind=ConsentKind.TREATMENT)
    consultation = Consultation.objects.create(
        patient=patient, on=today, zones=["forehead"], answers={}, verdict=Verdict.CAUTION, screening={}
    )
    plan = TreatmentPlan.objects.create(
        patient=patient, consultation=consultation, targets=["texture"], start=today, plan={"sessions": []}
    )
    session = TreatmentSession.objects.create(patient=patient, number=1, on=today, depths={"forehead": 0.5})
    photos = []
    for name in ("a", "b"):
        photo = Photo(patient=patient, sha256=name * 64, width=10, height=10, status=JobStatus.DONE, quality="ok")
        photo.original.save(f"{name}-original", ContentFile(b"x"), save=False)
        photo.display.save(f"{name}-display.jpg", ContentFile(b"x"), save=False)
        photo.save()
        photos.append(photo)
    comparison = Comparison.objects.create(
        patient=patient, before=photos[0], after=photos[1], status=JobStatus.DONE, visuals={"files": {}}
    )
    ids = {"patient": patient.pk, "consent": consent.pk, "consultation": consultation.pk, "plan": plan.pk}
    ids |= {"session": session.pk, "photo": photos[0].pk, "comparison": comparison.pk}
    return ids


def _record_urls(ids: dict[str, Any]) -> list[str]:
    urls = []
    for pattern in _named_patterns():
        if pattern.name in PUBLIC | WITHOUT_RECORD:
            continue
        kind = pattern.name.split("_")[0]
        kind = {"progress": "patient"}.get(kind, kind)
        if pattern.name in {
            "consent_grant",
            "consultation_new",
            "plan_new",
            "session_new",
            "portal_invite",
            "portal_revoke",
        }:
            kind = "patient"
        if pattern.name.startswith(("photo_upload", "photo_capture", "comparison_new")):
            kind = "patient"
        kwargs = {"pk": ids[kind]}
        if "name" in pattern.pattern.converters:
            kwargs["name"] = "before"
        urls.append(reverse(pattern.name, kwargs=kwargs))
    return urls


def test_it_covers_every_page_of_the_url_map(record_of_pat):
    named = {p.name for p in _named_patterns()}
    assert len(_record_urls(record_of_pat)) == len(named - PUBLIC - WITHOUT_RECORD) >= 25


def test_it_answers_404_to_staff_of_another_clinic_on_every_record_page(record_of_pat, as_charlie, patient):
    read_or_written = AuditEntry.objects.filter(patient__isnull=False).exclude(action=AuditAction.REFUSED)
    before = read_or_written.count()
    urls = _record_urls(record_of_pat)
    for url in urls:
        for method in (as_charlie.get, as_charlie.post):
            response = method(url)
            assert response.status_code == 404, f"{method.__name__.upper()} {url} gave {response.status_code}"
    assert read_or_written.count() == before  # nothing read, nothing written
    # ...but every refusal is a security event in Pat's clinic's log, naming charlie
    refusals = AuditEntry.objects.filter(action=AuditAction.REFUSED, username="charlie", patient=patient)
    assert refusals.count() == 2 * len(urls)
    assert set(refusals.values_list("clinic", flat=True)) == {patient.clinic_id}


def test_it_answers_404_to_another_patient_on_every_record_page(record_of_pat, as_quinn):
    for url in _record_urls(record_of_pat):
        response = as_quinn.get(url)
        assert response.status_code in (403, 404), f"GET {url} gave {response.status_code}"
        assert b"Pat" not in response.content or response.status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in_everywhere(record_of_pat, client):
    for url in [*_record_urls(record_of_pat), *(reverse(n) for n in WITHOUT_RECORD)]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
