"""A job is claimed only when nobody holds it; a working job renews its claim; a stale claim is taken over;
a lost claim stores nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import JobStatus, View
from dermadelta.clinic.records.models import Photo
from dermadelta.clinic.records.tasks import (
    MAX_ATTEMPTS,
    analyse_photo,
    finish,
    renew,
    requeue_stalled,
    running_job,
)
from tests.workers.conftest import wait_until


def _upload(patient: Any, data: bytes, by: Any, committed: Any) -> Photo:
    with committed():
        outcome = actions.upload_photos(patient, [("face.jpg", data)], view=View.FRONT, session=None, by=by)
    return outcome.saved[0]


def _claimed(photo: Photo, *, seconds_ago: float, attempts: int = 1) -> None:
    """As if a worker had taken the photo ``seconds_ago`` (and is still at it, or died)."""
    at = timezone.now() - dt.timedelta(seconds=seconds_ago)
    Photo.objects.filter(pk=photo.pk).update(status=JobStatus.RUNNING, claimed_at=at, attempts=attempts)


def _state(photo: Photo) -> tuple[str, int]:
    photo.refresh_from_db()
    return photo.status, photo.attempts


def _queued_runs(photo: Photo) -> int:
    return DBTaskResult.objects.filter(status="READY", args_kwargs__args=[photo.pk]).count()


def test_a_photo_running_under_a_live_claim_is_not_run_again(patient, alice, face_pair, committed):
    photo = _upload(patient, face_pair[0], alice, committed)
    _claimed(photo, seconds_ago=1)

    analyse_photo.call(photo.pk)  # a duplicate delivery while another worker analyses it

    assert _state(photo) == (JobStatus.RUNNING, 1) and photo.analysis is None


def test_a_claim_older_than_the_lease_is_taken_over(patient, alice, face_pair, committed, settings):
    photo = _upload(patient, face_pair[0], alice, committed)
    _claimed(photo, seconds_ago=settings.JOB_LEASE_SECONDS + 1)

    analyse_photo.call(photo.pk)

    assert _state(photo) == (JobStatus.DONE, 2)
    assert photo.claimed_at is not None and timezone.now() - photo.claimed_at < dt.timedelta(minutes=1)


def test_a_failed_photo_runs_again_only_once_retried(patient, alice, face_pair, committed, run_worker):
    photo = _upload(patient, face_pair[0], alice, committed)
    Photo.objects.filter(pk=photo.pk).update(status=JobStatus.FAILED, attempts=1, failure="worker error")

    analyse_photo.call(photo.pk)
    assert _state(photo) == (JobStatus.FAILED, 1)

    with committed():
        actions.retry(photo, by=alice)
    run_worker()
    assert _state(photo) == (JobStatus.DONE, 2)


def test_requeue_stalled_queues_once_only_the_photos_past_their_lease(
    patient, alice, face_pair, committed, run_worker, settings
):
    stalled = _upload(patient, face_pair[0], alice, committed)
    busy = _upload(patient, face_pair[1], alice, committed)
    DBTaskResult.objects.all().delete()  # the uploads' own runs: only the sweep's count here
    _claimed(stalled, seconds_ago=settings.JOB_LEASE_SECONDS + 1)
    _claimed(busy, seconds_ago=settings.JOB_LEASE_SECONDS / 2)

    assert requeue_stalled() == [stalled]
    assert requeue_stalled() == []  # a second sweep (another worker's) finds nothing left to queue
    assert (_queued_runs(stalled), _queued_runs(busy)) == (1, 0)
    assert _state(stalled) == (JobStatus.QUEUED, 1)

    run_worker()
    assert _state(stalled) == (JobStatus.DONE, 2)
    assert _state(busy) == (JobStatus.RUNNING, 1)


def test_a_photo_stalled_on_every_attempt_is_failed_with_its_reason(patient, alice, face_pair, committed, settings):
    photo = _upload(patient, face_pair[0], alice, committed)
    _claimed(photo, seconds_ago=settings.JOB_LEASE_SECONDS + 1, attempts=MAX_ATTEMPTS)

    assert requeue_stalled() == []

    assert _state(photo) == (JobStatus.FAILED, MAX_ATTEMPTS)
    assert f"each of {MAX_ATTEMPTS} attempts" in photo.failure


def test_a_run_that_lost_its_claim_stores_nothing(patient, alice, face_pair, committed, settings):
    photo = _upload(patient, face_pair[0], alice, committed)
    with running_job(Photo, photo.pk) as mine:
        assert mine is not None and mine.attempts == 1
        # This run looks dead (its claim outlived the lease); another worker takes the photo over and finishes.
        _claimed(photo, seconds_ago=settings.JOB_LEASE_SECONDS + 1)
        analyse_photo.call(photo.pk)

        assert finish(mine, analysis={"late": True}) is False
        assert renew(mine) is False  # its heartbeat cannot take the photo back either

    assert _state(photo) == (JobStatus.DONE, 2)
    assert "late" not in photo.analysis


def test_the_command_reports_what_it_requeued(patient, alice, face_pair, committed, settings, capsys):
    photo = _upload(patient, face_pair[0], alice, committed)
    _claimed(photo, seconds_ago=settings.JOB_LEASE_SECONDS + 1)

    call_command("requeue_stalled")

    assert f"requeued Front photo {photo.pk}" in capsys.readouterr().out
    assert _state(photo) == (JobStatus.QUEUED, 1)


def _outlived_a_lease(since: dt.datetime, lease_s: float) -> bool:
    return timezone.now() - since > dt.timedelta(seconds=lease_s + 1)


def test_a_working_job_renews_its_claim_so_no_sweep_takes_it_over(
    patient, alice, face_pair, committed, transactional_db, settings
):
    settings.JOB_LEASE_SECONDS = 3  # a heartbeat every second
    photo = _upload(patient, face_pair[0], alice, committed)

    with running_job(Photo, photo.pk) as mine:
        assert mine is not None and mine.claimed_at is not None
        claimed = mine.claimed_at
        wait_until(lambda: _outlived_a_lease(claimed, settings.JOB_LEASE_SECONDS), "the job to outlive a lease")

        assert requeue_stalled() == []
        assert _state(photo) == (JobStatus.RUNNING, 1)
        assert photo.claimed_at is not None and photo.claimed_at > claimed


def test_a_job_past_the_time_limit_stops_renewing_and_is_taken_over(
    patient, alice, face_pair, committed, transactional_db, settings, caplog
):
    settings.JOB_LEASE_SECONDS = 3
    settings.JOB_TIMEOUT_SECONDS = 0  # as if the job had been running for the whole time limit
    photo = _upload(patient, face_pair[0], alice, committed)

    with running_job(Photo, photo.pk) as mine:
        assert mine is not None and mine.claimed_at is not None
        claimed = mine.claimed_at
        wait_until(lambda: "left to lapse" in caplog.text, "the heartbeat to give the claim up")
        wait_until(lambda: _outlived_a_lease(claimed, settings.JOB_LEASE_SECONDS), "the claim to lapse")

        assert requeue_stalled() == [photo]
        assert _state(photo) == (JobStatus.QUEUED, 1)
