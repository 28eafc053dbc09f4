"""Dates and times as the clinic sees them, whatever the server's own time zone.

One server may host clinics in several time zones. A photo taken at 21:30 UTC on
1 March 2026 was taken at 08:30 on 2 March in Sydney: every page, the worker's
report and the API must say so for a Sydney clinic, while the server runs on
London time (``TIME_ZONE``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from dermadelta.clinic.records.choices import JobStatus
from dermadelta.clinic.records.models import Photo
from dermadelta.clinic.records.tasks import running_job
from tests.clinic.photo_records import comparison, photo
from tests.clinic.progress_records import stand_in_photo

TAKEN = dt.datetime(2026, 3, 1, 21, 30, tzinfo=dt.UTC)


def _in_sydney(patient: Any) -> Photo:
    clinic = patient.clinic
    clinic.time_zone = "Australia/Sydney"
    clinic.save(update_fields=["time_zone"])
    photo = stand_in_photo(patient, "s", TAKEN.date())
    Photo.objects.filter(pk=photo.pk).update(taken_at=TAKEN)
    return Photo.objects.get(pk=photo.pk)


def test_the_pages_show_a_photo_on_its_day_in_the_clinic(settings, as_alice, patient):
    assert settings.TIME_ZONE == "Europe/London"
    photo = _in_sydney(patient)

    for url in (reverse("patient", args=[patient.pk]), reverse("photo", args=[photo.pk])):
        page = as_alice.get(url).content.decode()
        assert "2 Mar 2026" in page or "2 March 2026" in page, url
        assert "1 Mar 2026" not in page and "1 March 2026" not in page, url
        assert "08:30" in page, url


def test_the_worker_runs_a_job_in_the_clinic_time_zone(patient):
    photo = _in_sydney(patient)
    Photo.objects.filter(pk=photo.pk).update(status=JobStatus.QUEUED)

    with running_job(Photo, photo.pk) as job:
        assert job is not None
        zone = timezone.get_current_timezone_name()
        day, label = job.day, job.label
    job.refresh_from_db()

    assert zone == "Australia/Sydney"
    assert day == dt.date(2026, 3, 2)
    assert label.endswith("08:30")
    assert timezone.get_current_timezone_name() == "Europe/London"  # restored after the job


def test_days_between_photos_are_counted_on_the_clinics_calendar_across_a_clock_change(patient):
    # 00:30 on 2 October (summer time) to 23:30 on 30 November (winter time): 60 x 24 h, 59 calendar days.
    before = photo(patient, taken=dt.datetime(2026, 10, 1, 23, 30, tzinfo=dt.UTC))
    after = photo(patient, taken=dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC))

    assert (before.day, after.day) == (dt.date(2026, 10, 2), dt.date(2026, 11, 30))
    assert comparison(before, after).days_between == 59
