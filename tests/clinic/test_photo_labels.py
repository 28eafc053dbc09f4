"""Photos and comparisons are told apart by what they show: session, view and time; baseline to session."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from dermadelta.clinic.records.choices import JobStatus
from dermadelta.clinic.records.models import Comparison, Photo
from tests.clinic.photo_records import LONDON, MEASURED, REFUSED, comparison, photo, session

DAY = dt.date(2026, 11, 30)


def _at(hour: int, minute: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def test_a_photo_is_named_by_session_view_and_time(patient):
    second = session(patient, 2, DAY)
    shot = photo(patient, taken=_at(14, 5), of=second)

    with timezone.override(LONDON):
        assert shot.label == "Session 2 · front · 14:05"


def test_a_photo_of_no_session_is_named_by_its_consultation_day(patient):
    shot = photo(patient, taken=_at(9, 30), view="left")

    with timezone.override(LONDON):
        assert shot.label == "Consultation of 30 Nov 2026 · left side · 09:30"


def test_four_photos_of_one_day_get_four_names(as_alice, patient):
    first, third = session(patient, 1, DAY), session(patient, 3, DAY)
    photos = [photo(patient, taken=_at(9, 0)), photo(patient, taken=_at(10, 0), of=first)]
    photos += [photo(patient, taken=_at(11, 0), of=third), photo(patient, taken=_at(12, 0), of=third)]

    page = as_alice.get(reverse("patient", args=[patient.pk])).content.decode()

    labels = [p.label for p in photos]
    assert len(set(labels)) == 4
    for label in (
        "Consultation of 30 Nov 2026 · front · 09:00",
        "Session 1 · front · 10:00",
        "Session 3 · front · 12:00",
    ):
        assert label in page
    assert "Front photo of" not in page


def test_a_comparison_is_named_by_what_it_compares(as_alice, patient):
    first, third = session(patient, 1, DAY), session(patient, 3, DAY)
    baseline = photo(patient, taken=_at(9, 0))
    one, three = photo(patient, taken=_at(10, 0), of=first), photo(patient, taken=_at(11, 0), of=third)
    from_baseline = comparison(baseline, three, result=MEASURED)
    between = comparison(one, three, result=MEASURED)

    assert from_baseline.label == "Baseline → session 3, front"
    assert between.label == "Session 1 → session 3, front"
    page = as_alice.get(reverse("patient", args=[patient.pk])).content.decode()
    assert "Baseline → session 3, front" in page and "Session 1 → session 3, front" in page


def test_the_comparison_page_and_the_dashboard_title_a_comparison_by_its_name(as_alice, as_pat, patient):
    third = session(patient, 3, DAY)
    baseline, three = (
        photo(patient, taken=_at(9, 0)),
        photo(patient, taken=_at(11, 0, DAY + dt.timedelta(days=2)), of=third),
    )
    waiting = comparison(baseline, three, status=JobStatus.QUEUED)

    for client in (as_alice, as_pat):
        page = client.get(reverse("comparison", args=[waiting.pk])).content.decode()
        assert "<h1>Baseline → session 3, front</h1>" in page
        assert "<title>Baseline → session 3, front · " in page
        assert "30 Nov 2026 to 2 Dec 2026 · 2 days apart" in page and "Before and after:" not in page
    dashboard = as_alice.get(reverse("dashboard")).content.decode()
    assert "Comparison (Baseline → session 3, front)" in dashboard


def test_a_comparison_that_measured_nothing_is_not_listed_as_done(as_alice, as_pat, patient):
    baseline, later = photo(patient, taken=_at(9, 0)), photo(patient, taken=_at(10, 0, DAY + dt.timedelta(days=30)))
    refused = comparison(baseline, later, result=REFUSED)

    assert refused.state_label == "Could not be measured" and refused.state_code == "not_measured"
    for client, url in ((as_alice, reverse("patient", args=[patient.pk])), (as_pat, reverse("portal"))):
        page = client.get(url).content.decode()
        assert "Could not be measured" in page
        assert ">Done<" not in page and ">Measured<" not in page


def test_a_measured_comparison_says_measured(patient):
    baseline, later = photo(patient, taken=_at(9, 0)), photo(patient, taken=_at(10, 0, DAY + dt.timedelta(days=30)))

    assert comparison(baseline, later, result=MEASURED).state_label == "Measured"
    assert comparison(later, baseline, status=JobStatus.RUNNING).state_label == "Being measured"


def test_a_done_comparison_with_an_unreadable_result_could_not_be_measured(patient):
    baseline, later = photo(patient, taken=_at(9, 0)), photo(patient, taken=_at(10, 0, DAY + dt.timedelta(days=30)))

    for broken in (None, [], "text", {"zones": "x"}, {"zones": {"face": {"redness": None}}}):
        Comparison.objects.all().delete()
        assert comparison(baseline, later, result=broken).state_label == "Could not be measured"


def test_the_upload_results_show_the_baseline_comparison_once_ready(as_alice, patient):
    baseline = photo(patient, taken=_at(9, 0))
    later = photo(patient, taken=_at(10, 0, DAY + dt.timedelta(days=30)))
    Photo.objects.filter(pk=later.pk).update(analysed_at=timezone.now())
    status_url = reverse("photo_status", args=[later.pk])

    waiting = as_alice.get(status_url).content.decode()
    assert f'data-poll="{status_url}"' in waiting  # the worker asks for the comparison just after the analysis
    assert "Comparing with the baseline photo next." in waiting

    made = comparison(baseline, later, status=JobStatus.QUEUED)
    queued = as_alice.get(status_url).content.decode()
    assert "data-poll" in queued and reverse("comparison", args=[made.pk]) in queued

    Comparison.objects.filter(pk=made.pk).update(status=JobStatus.DONE, result=MEASURED)
    ready = as_alice.get(status_url).content.decode()
    assert "data-poll" not in ready
    assert "Baseline → consultation of" in ready and ">Measured<" in ready
    upload_page = as_alice.get(reverse("photo_upload", args=[patient.pk]), {"photos": str(later.pk)}).content.decode()
    assert reverse("comparison", args=[made.pk]) in upload_page


def test_a_photo_without_a_baseline_stops_polling_once_analysed(as_alice, patient):
    only = photo(patient, taken=_at(9, 0))

    fragment = as_alice.get(reverse("photo_status", args=[only.pk])).content.decode()

    assert "data-poll" not in fragment and "baseline" not in fragment


def test_polling_for_a_baseline_comparison_that_never_came_stops(as_alice, patient):
    photo(patient, taken=_at(9, 0))
    later = photo(patient, taken=_at(10, 0, DAY + dt.timedelta(days=30)))
    Photo.objects.filter(pk=later.pk).update(analysed_at=timezone.now() - dt.timedelta(hours=1))

    fragment = as_alice.get(reverse("photo_status", args=[later.pk])).content.decode()

    assert "data-poll" not in fragment


def test_the_compare_choices_give_a_day_once(patient):
    from dermadelta.clinic.front.forms.results import PhotoChoiceField

    field = PhotoChoiceField(queryset=Photo.objects.all())
    consultation = photo(patient, taken=_at(9, 30))
    of_session = photo(patient, taken=_at(14, 5), of=session(patient, 2, DAY))

    with timezone.override(LONDON):
        names = [field.label_from_instance(p) for p in (consultation, of_session)]
    assert names[0].count("30 Nov 2026") == 1  # a consultation's photo is named by its day already
    assert names[1].startswith("Session 2 · front · 14:05, 30 Nov 2026")
