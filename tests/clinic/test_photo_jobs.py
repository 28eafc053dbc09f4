"""Photos are analysed by the background worker, compared with the baseline, and failures can be retried."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import JobStatus, View
from dermadelta.clinic.records.models import Comparison, Photo
from dermadelta.clinic.records.photofiles import DISPLAY_MAX_SIDE_PX
from dermadelta.imaging.pipeline import analyze, decode_for_analysis
from tests.phone_portraits import PORTRAIT_SIZE, phone_portrait


def _upload(patient: Any, data: bytes, name: str, by: Any, committed: Any) -> Photo:
    with committed():
        outcome = actions.upload_photos(patient, [(name, data)], view=View.FRONT, session=None, by=by)
    assert outcome.refused == []
    return outcome.saved[0]


def test_it_analyses_an_upload_in_the_worker_not_in_the_request(patient, alice, face_pair, committed, run_worker):
    photo = _upload(patient, face_pair[0], "before.jpg", alice, committed)
    assert photo.status == JobStatus.QUEUED and photo.analysis is None

    run_worker()

    photo.refresh_from_db()
    assert photo.status == JobStatus.DONE
    assert photo.quality in ("ok", "warn")
    assert photo.analysis["schema"] == "dermadelta.analyze/1"
    assert "redness" in photo.analysis["zones"]["face"]
    assert photo.attempts == 1


def test_it_compares_a_later_photo_with_the_baseline(patient, alice, face_pair, committed, run_worker):
    before = _upload(patient, face_pair[0], "before.jpg", alice, committed)
    Photo.objects.filter(pk=before.pk).update(uploaded_at=before.uploaded_at - dt.timedelta(days=60))
    run_worker()
    after = _upload(patient, face_pair[1], "after.jpg", alice, committed)

    with committed():  # the comparison is enqueued when the after photo's analysis commits
        run_worker()
    run_worker()

    comparison = Comparison.objects.get(patient=patient)
    assert (comparison.before_id, comparison.after_id) == (before.pk, after.pk)
    assert comparison.status == JobStatus.DONE, comparison.failure
    assert comparison.result["schema"] == "dermadelta.compare/1"
    assert comparison.result["zones"]["face"]["redness"]["change"] in ("increased", "decreased", "none")
    assert default_storage.open(comparison.report_pdf.name).read(5) == b"%PDF-"
    files = comparison.visuals["files"]
    assert {"before", "after", "heatmap-redness"} <= set(files)
    assert all(default_storage.exists(name) for name in files.values())


def test_it_records_why_a_job_failed_and_retries_it(patient, alice, face_pair, committed, run_worker):
    photo = _upload(patient, face_pair[0], "before.jpg", alice, committed)
    default_storage.delete(photo.original.name)  # the stored file went missing

    run_worker()  # the worker logs the traceback; the row says why

    photo.refresh_from_db()
    assert photo.status == JobStatus.FAILED
    assert "FileNotFoundError" in photo.failure
    assert photo.original.name not in photo.failure  # no server paths on the page

    default_storage.save(photo.original.name, ContentFile(face_pair[0]))
    with committed():
        actions.retry(photo, by=alice)
    run_worker()
    photo.refresh_from_db()
    assert photo.status == JobStatus.DONE and photo.failure == "" and photo.attempts == 2


def test_it_never_runs_a_finished_job_twice(patient, alice, face_pair, committed, run_worker):
    from dermadelta.clinic.records.tasks import analyse_photo

    photo = _upload(patient, face_pair[0], "before.jpg", alice, committed)
    run_worker()
    analyse_photo.call(photo.pk)  # a duplicate delivery of the same job

    photo.refresh_from_db()
    assert photo.attempts == 1


def test_a_queue_that_does_not_answer_fails_the_saved_photo_with_its_reason(
    patient, alice, face_pair, committed, run_worker, monkeypatch, caplog
):
    """The photo is committed before it is queued: a queue that is away must not lose it
    (waiting for ever) nor turn the upload into an error page."""
    from dermadelta.clinic.records import tasks

    class Unreachable:
        def enqueue(self, *args: Any) -> None:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks, "analyse_photo", Unreachable())
    photo = _upload(patient, face_pair[0], "before.jpg", alice, committed)

    photo.refresh_from_db()
    assert photo.status == JobStatus.FAILED
    assert photo.failure == actions.QUEUE_UNREACHABLE
    assert "could not queue Photo" in caplog.text
    assert default_storage.exists(photo.original.name)

    monkeypatch.undo()  # the queue is back: a retry analyses it
    with committed():
        actions.retry(photo, by=alice)
    run_worker()
    photo.refresh_from_db()
    assert photo.status == JobStatus.DONE


def test_a_phone_photo_is_decoded_once_reduced_and_measured_as_the_command_line_measures_it(
    patient, alice, committed, run_worker
):
    data = phone_portrait("london_137_neutral_m21.jpg")
    photo = _upload(patient, data, "portrait.jpg", alice, committed)

    run_worker()

    photo.refresh_from_db()
    assert photo.status == JobStatus.DONE, photo.failure
    assert (photo.width, photo.height) == PORTRAIT_SIZE  # the file's size, not the decode's
    half = decode_for_analysis(data)
    assert half.scale == 0.5
    with default_storage.open(photo.display.name) as served:
        assert Image.open(served).size == (half.width, half.height)  # the half-size decode, under the served limit
    assert max(half.width, half.height) <= DISPLAY_MAX_SIDE_PX and min(half.width, half.height) >= 1280
    assert photo.analysis["image"]["decoded_scale"] == 0.5
    assert photo.analysis["zones"] == analyze(data).to_dict()["zones"]


def test_a_comparison_of_phone_photos_measures_both_from_the_reduced_decode(patient, alice, committed, run_worker):
    before = _upload(patient, phone_portrait("london_137_neutral_m21.jpg"), "before.jpg", alice, committed)
    Photo.objects.filter(pk=before.pk).update(uploaded_at=before.uploaded_at - dt.timedelta(days=30))
    run_worker()
    _upload(patient, phone_portrait("london_137_neutral_m21.jpg", quality=85), "after.jpg", alice, committed)
    with committed():  # the comparison is enqueued when the after photo's analysis commits
        run_worker()
    run_worker()

    comparison = Comparison.objects.get(patient=patient)
    assert comparison.status == JobStatus.DONE, comparison.failure
    assert [comparison.result[side]["image"]["decoded_scale"] for side in ("before", "after")] == [0.5, 0.5]
    assert comparison.result["identity"]["same_person"]
