"""The PDFs the clinic hands out (a comparison's report, a plan's handout) are tagged for screen readers,
and their document title names no one, as their file names do not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind, JobStatus, QualityVerdict, View
from dermadelta.clinic.records.models import Comparison, Consent, Patient, Photo
from dermadelta.clinic.records.visuals import store_visuals
from tests.tagged_pdf import read_tagged

FIRST, LAST = "Zebedee", "Quillfeather"


@pytest.fixture
def zebedee(riverside: Any, alice: Any) -> Patient:
    """A patient whose name no document carries unless it was given it."""
    person = Patient.objects.create(
        clinic=riverside, first_name=FIRST, last_name=LAST, date_of_birth=dt.date(1980, 5, 6), created_by=alice
    )
    for kind in (ConsentKind.TREATMENT, ConsentKind.PHOTOGRAPHY):
        Consent.objects.create(patient=person, kind=kind, granted_by=alice)
    return person


def assert_names_no_one(data: bytes) -> Any:
    pdf = read_tagged(data)
    assert pdf.tagged and pdf.ua_part == "1" and pdf.lang == "en" and pdf.shows_title
    for said in (pdf.title, pdf.xmp_title):
        assert said and FIRST not in said and LAST not in said
    assert all(alt and alt.strip() for alt in pdf.figures)
    assert len(pdf.figures) == pdf.images_drawn
    return pdf


def test_the_comparison_report_is_tagged_and_its_title_names_no_one(as_alice, zebedee, alice, face_pair):
    from dermadelta.imaging.decode import decode
    from dermadelta.imaging.pipeline import compare

    saved = actions.upload_photos(
        zebedee, [("before.jpg", face_pair[0]), ("after.jpg", face_pair[1])], view=View.FRONT, session=None, by=alice
    ).saved
    today = timezone.localdate()
    for photo, day in zip(saved, (today - dt.timedelta(days=90), today), strict=True):
        taken = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
        Photo.objects.filter(pk=photo.pk).update(status=JobStatus.DONE, quality=QualityVerdict.OK, taken_at=taken)
    comparison = Comparison.objects.create(patient=zebedee, before=saved[0], after=saved[1], created_by=alice)
    comparison.refresh_from_db()
    measured = compare(decode(face_pair[0], name="before"), decode(face_pair[1], name="after"))
    visuals = store_visuals(comparison, measured)
    Comparison.objects.filter(pk=comparison.pk).update(
        visuals=visuals, report_pdf=comparison.report_pdf.name, status=JobStatus.DONE, finished_at=timezone.now()
    )

    response = as_alice.get(reverse("comparison_pdf", args=[comparison.pk]))

    assert response.status_code == 200 and LAST not in response["Content-Disposition"]
    pdf = assert_names_no_one(response.content)
    assert pdf.title == "Before and after: measured skin changes"
    assert pdf.images_drawn == 2 + 2 * len(visuals["heatmaps"])  # photos, and each map with its colour scale


def test_the_handout_is_tagged_and_its_title_names_no_one(as_alice, zebedee, alice):
    consultation = actions.record_consultation(
        zebedee, on=dt.date(2025, 3, 3), zones=["forehead"], answers={}, by=alice
    )
    request = actions.PlanRequest(targets=("fine_lines:forehead",), start=dt.date(2025, 3, 3), sessions=3)
    plan = actions.create_plan(zebedee, request, consultation=consultation, by=alice)

    page = as_alice.get(f"/plans/{plan.pk}/handout.pdf?format=html").content.decode()
    response = as_alice.get(f"/plans/{plan.pk}/handout.pdf")

    assert f"For {FIRST} {LAST}." in page  # the handout is hers: the page says so
    pdf = assert_names_no_one(response.content)
    assert pdf.title == "Your microneedling plan and care guide"
    assert pdf.figures == () and pdf.images_drawn == 0
