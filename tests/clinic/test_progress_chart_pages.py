"""The course chart on the pages: the clinic's verdicts, the patient's own plain-words version."""

from __future__ import annotations

import re

from django.urls import reverse

from dermadelta.clinic.records.course_progress import course_progress, progress_chart_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _course_section(page: str) -> str:
    found = re.search(r'<section class="card progress-chart">.*?</section>', page, re.S)
    assert found is not None
    return found.group(0)


def test_the_clinic_reads_the_verdict_and_the_patient_reads_it_in_plain_words(patient, behind):
    course = course_progress(patient)

    clinic = {item["metric"]: item for item in course.latest()}
    own = {item["metric"]: item for item in course.latest("patient")}
    assert (clinic["texture"]["words"], clinic["texture"]["tone"]) == ("behind what is expected", "worse")
    assert own["texture"]["words"] == "one to talk over with your practitioner" and own["texture"]["tone"] == "same"
    assert "practitioner will go through it with you" in own["texture"]["reason"]
    assert own["pores"]["words"] == "within the expected range"
    for item in own.values():
        assert "behind" not in f"{item['words']} {item['reason']}" and "MDC" not in item["reason"]
        assert item["tone"] != "worse"


def test_the_patient_chart_differs_from_the_clinic_chart(patient, behind):
    course = course_progress(patient)

    clinic, own = progress_chart_png(course), progress_chart_png(course, audience="patient")

    assert clinic.startswith(PNG_SIGNATURE) and own.startswith(PNG_SIGNATURE) and clinic != own


def test_a_patient_is_always_served_her_own_version_of_the_chart(as_alice, as_pat, patient, behind):
    url = reverse("progress_chart", args=[patient.pk])
    own = progress_chart_png(course_progress(patient), audience="patient")

    assert as_pat.get(url).content == own
    assert as_pat.get(f"{url}?for=clinic").content == own  # no way back to the verdict colours
    assert as_alice.get(f"{url}?for=patient").content == own  # the clinic can show it to her
    assert as_alice.get(url).content == progress_chart_png(course_progress(patient))
    assert as_alice.get(url).content != own


def test_the_patient_page_shows_no_behind_and_no_red_badge_for_the_course(as_alice, as_pat, patient, behind):
    url = reverse("comparison", args=[behind.pk])

    own = _course_section(as_pat.get(url).content.decode())
    clinic = _course_section(as_alice.get(url).content.decode())

    assert "behind" not in own and "badge worse" not in own
    assert '<span class="badge same">one to talk over with your practitioner</span>' in own
    assert "?for=patient" not in own  # a patient has no other version to ask for
    assert '<span class="badge worse">behind what is expected</span>' in clinic
    assert f'href="{reverse("progress_chart", args=[patient.pk])}?for=patient"' in clinic
