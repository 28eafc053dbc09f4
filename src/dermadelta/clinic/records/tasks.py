"""Background work: analysing a photo and comparing two. Never run inside a web request.

Tasks take primary keys. Each records its progress on the row (queued, running,
done, failed with the reason) so that the page can show it and a failed job can
be retried; an unexpected error is also raised, so the worker logs its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from dermadelta.clinic.records.choices import JobStatus
from dermadelta.clinic.records.models import Comparison, Photo
from dermadelta.errors import InputError

log = logging.getLogger(__name__)
J = TypeVar("J", Photo, Comparison)


@contextmanager
def _running(model: type[J], pk: int) -> Iterator[J | None]:
    """Claim the job (queued or failed, not done), yield it, and record how it ended."""
    with transaction.atomic():
        claimed = model.objects.filter(pk=pk).exclude(status=JobStatus.DONE).update(
            status=JobStatus.RUNNING, attempts=F("attempts") + 1
        )
    if not claimed:
        yield None  # deleted, or already done by an earlier run: nothing is done twice
        return
    job = model.objects.get(pk=pk)
    try:
        yield job
    except InputError as error:  # the photo itself is the problem: say so, no traceback needed
        _fail(job, str(error))
    except Exception as error:
        # The details (paths, traceback) go to the worker's log for the operator, not to the page.
        _fail(job, f"unexpected error in the worker ({type(error).__name__}); retry, or tell your administrator")
        raise


def _fail(job: Photo | Comparison, reason: str) -> None:
    log.warning("%s failed: %s", job, reason)
    type(job).objects.filter(pk=job.pk).update(status=JobStatus.FAILED, failure=reason[:2000])


def _source_label(photo: Photo) -> str:
    # Never the uploaded file name: it may carry the patient's name into results and reports.
    return f"photo-{photo.pk}-{photo.view}"


def _read(photo: Photo) -> bytes:
    with photo.original.open("rb") as handle:
        return handle.read()


@task()
def analyse_photo(photo_id: int) -> None:
    """Run the measurement engine on one photo: quality gate, then per-zone metrics."""
    from dermadelta.imaging.decode import decode
    from dermadelta.imaging.pipeline import analyze

    with _running(Photo, photo_id) as photo:
        if photo is None:
            return
        analysis = analyze(decode(_read(photo), name=_source_label(photo)))
        data = analysis.to_dict()
        photo.analysis = data
        photo.quality = analysis.quality.verdict
        photo.status = JobStatus.DONE
        photo.failure = ""
        photo.analysed_at = timezone.now()
        photo.save(update_fields=["analysis", "quality", "status", "failure", "analysed_at"])
    if photo is not None and photo.usable:
        _compare_with_baseline(photo)


def _compare_with_baseline(photo: Photo) -> None:
    from dermadelta.clinic.records.actions import baseline_photo, request_comparison

    baseline = baseline_photo(photo)
    if baseline is not None:
        request_comparison(baseline, photo, by=photo.uploaded_by)


@task()
def compare_photos(comparison_id: int) -> None:
    """Measure the after photo against the before photo and store the result, the visuals and the PDF."""
    from dermadelta.clinic.records.visuals import store_visuals
    from dermadelta.imaging.decode import decode
    from dermadelta.imaging.pipeline import compare

    with _running(Comparison, comparison_id) as comparison:
        if comparison is None:
            return
        before, after = comparison.before, comparison.after
        result = compare(
            decode(_read(before), name=_source_label(before)), decode(_read(after), name=_source_label(after))
        )
        comparison.visuals = store_visuals(comparison, result)
        comparison.result = result.to_dict()
        comparison.status = JobStatus.DONE
        comparison.failure = ""
        comparison.finished_at = timezone.now()
        comparison.save(update_fields=["visuals", "result", "status", "failure", "finished_at", "report_pdf"])

