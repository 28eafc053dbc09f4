"""Background work: analysing a photo and comparing two. Never run inside a web request.

Tasks take primary keys. Each records its progress on the row (queued, running,
done, failed with the reason) so that the page can show it and a failed job can
be retried; an unexpected error is also raised, so the worker logs its traceback.

The row, not the queue, decides whether a job runs: a worker claims it by an
atomic update (queued, or running under a claim older than the lease), so a
duplicate delivery never analyses twice and a done job never runs again. The lease
is short (half a minute by default): while the job works, a heartbeat renews the
claim (``claimed_at``) every third of a lease. A worker killed mid-job stops
renewing; :func:`requeue_stalled`, run by every worker when it starts and then every
quarter of a lease, queues such a job again once its lease has run out.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from dermadelta.clinic.records.choices import JobStatus
from dermadelta.clinic.records.models import Comparison, Photo
from dermadelta.clinic.records.photofiles import display_copy
from dermadelta.errors import InputError
from dermadelta.imaging.decode import Decoded

log = logging.getLogger(__name__)
J = TypeVar("J", Photo, Comparison)

#: A job whose worker died this many times is failed instead of queued again (a photo
#: that kills the worker, say by running it out of memory, must not do so for ever).
MAX_ATTEMPTS = 3


def _stale_claim(now: dt.datetime) -> Q:
    """Running, but not renewed for a lease (or claimed before claims were recorded): its worker is gone."""
    expired = now - dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    return Q(status=JobStatus.RUNNING) & (Q(claimed_at__lt=expired) | Q(claimed_at__isnull=True))


def _claim(model: type[J], pk: int) -> J | None:
    """Take the job if nobody holds it: queued (new or retried), or running under a stale claim."""
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            model.objects.filter(pk=pk)
            .filter(Q(status=JobStatus.QUEUED) | _stale_claim(now))
            .update(status=JobStatus.RUNNING, attempts=F("attempts") + 1, claimed_at=now)
        )
        if not claimed:
            return None  # deleted, done, failed and not retried, or running elsewhere
        job = model.objects.get(pk=pk)
    log.info("%s claimed by %s (attempt %d)", job, _worker_label(), job.attempts)
    return job


def _worker_label() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


def _holding(job: Photo | Comparison) -> Any:
    """The row while this run still holds its claim: ``attempts`` is the claim's number, a fencing token."""
    return type(job).objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)


def renew(job: Photo | Comparison) -> bool:
    """Renew this run's claim on the job; ``False`` once it no longer holds it (finished, failed, taken over)."""
    return bool(_holding(job).update(claimed_at=timezone.now()))


@contextmanager
def _heartbeat(job: Photo | Comparison) -> Iterator[None]:
    """Renew the claim from a thread while the body runs, up to the job time limit.

    A job still working after :data:`settings.JOB_TIMEOUT_SECONDS` is left to lapse, so
    that a run stuck for good is taken over as a dead worker's would be.
    """
    stop = threading.Event()
    every_s = settings.JOB_LEASE_SECONDS / 3  # two beats may fail (a locked database) before the lease runs out
    until = time.monotonic() + settings.JOB_TIMEOUT_SECONDS

    def beat() -> None:
        try:
            while not stop.wait(every_s) and time.monotonic() < until:
                try:
                    if not renew(job):
                        return  # the run's own result or failure is recorded (or discarded) by its owner
                except DatabaseError:
                    log.warning("%s: renewing the claim failed; trying again", job, exc_info=True)
            if not stop.is_set():
                log.warning(
                    "%s: still running after %d s; its claim is left to lapse", job, settings.JOB_TIMEOUT_SECONDS
                )
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{job}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        # Not for ever: a beat waiting on a database lock stores nothing once the run has ended.
        thread.join(timeout=5)


@contextmanager
def running_job(model: type[J], pk: int) -> Iterator[J | None]:
    """Claim the job, yield it (``None`` when it is not ours to run) while renewing the claim, and record a failure.

    The body records success with :func:`finish`.
    """
    job = _claim(model, pk)
    if job is None:
        yield None
        return
    try:
        # Its dates (a photo's day in the report, days between photos) as the clinic sees them.
        with _heartbeat(job), job.patient.clinic.local_time():
            yield job
    except InputError as error:  # the photo itself is the problem: say so, no traceback needed
        _fail(job, str(error))
    except Exception as error:
        # The details (paths, traceback) go to the worker's log for the operator, not to the page.
        _fail(job, f"unexpected error in the worker ({type(error).__name__}); retry, or tell your administrator")
        raise


def finish(job: Photo | Comparison, **results: Any) -> bool:
    """Store the results and mark the job done, unless another worker took it over meanwhile."""
    done = {"status": JobStatus.DONE, "failure": "", **results}
    if not _holding(job).update(**done):
        log.warning("%s: result discarded, the job was taken over after its lease ran out", job)
        return False
    for field, value in done.items():
        setattr(job, field, value)
    return True


def _fail(job: Photo | Comparison, reason: str) -> None:
    log.warning("%s failed: %s", job, reason)
    _holding(job).update(status=JobStatus.FAILED, failure=reason[:2000])


def requeue_stalled() -> list[Photo | Comparison]:
    """Queue again each job whose worker died mid-job (running under a stale claim); return them.

    After :data:`MAX_ATTEMPTS` claims the job is failed with its reason instead, for a
    person to retry. Any number of workers may sweep at once: the conditional update
    lets exactly one of them queue each job.
    """
    requeued: list[Photo | Comparison] = []
    for model, job_task in ((Photo, analyse_photo), (Comparison, compare_photos)):
        for job in model.objects.filter(_stale_claim(timezone.now())):
            if _requeue(job, job_task):
                requeued.append(job)
    return requeued


def _requeue(job: Photo | Comparison, job_task: Task[[int], None]) -> bool:
    row = type(job).objects.filter(_stale_claim(timezone.now()), pk=job.pk, attempts=job.attempts)
    with transaction.atomic():
        if job.attempts >= MAX_ATTEMPTS:
            reason = f"the worker stopped during each of {job.attempts} attempts; retry, or tell your administrator"
            if row.update(status=JobStatus.FAILED, failure=reason):
                log.warning("%s failed: %s", job, reason)
            return False
        if not row.update(status=JobStatus.QUEUED, claimed_at=None):
            return False  # another worker's sweep, or a new claim, came first
        # Enqueued inside the transaction, not on commit: if the queue cannot take the
        # job, the row stays stalled for the next sweep instead of queued and forgotten.
        job_task.enqueue(job.pk)
    log.warning("%s requeued: its worker stopped during attempt %d", job, job.attempts)
    return True


def sweep_stalled_jobs(*, every_s: float) -> threading.Thread:
    """Run :func:`requeue_stalled` now (a starting worker queues the jobs of dead ones) and every ``every_s`` seconds,
    in a daemon thread of this worker."""

    def sweep() -> None:
        while True:
            try:
                requeue_stalled()
            except Exception:  # the database or the queue may be away for a while: try again next time
                log.exception("requeueing stalled jobs failed")
            finally:
                close_old_connections()
            stop.wait(every_s)

    stop = threading.Event()  # never set: the thread ends with the worker
    thread = threading.Thread(target=sweep, name="requeue-stalled", daemon=True)
    thread.start()
    return thread


def _source_label(photo: Photo) -> str:
    # Never the uploaded file name: it may carry the patient's name into results and reports.
    return f"photo-{photo.pk}-{photo.view}"


def _read(photo: Photo) -> bytes:
    with photo.original.open("rb") as handle:
        return handle.read()


@task()
def analyse_photo(photo_id: int) -> None:
    """Analyse one uploaded photo (its served copy made the first time): the quality gate and per-zone metrics."""
    from dermadelta.imaging.pipeline import analyze

    finished = False
    with running_job(Photo, photo_id) as photo:
        if photo is None:
            return
        data = _read(photo)
        # The file's bytes with their decode, as the command line and the batch analyse them:
        # one photo gives the same figures everywhere, and a phone photo is decoded once, reduced.
        analysis = analyze(data, name=_source_label(photo), decoded=_decoded(photo, data))
        finished = finish(
            photo, analysis=analysis.to_dict(), quality=analysis.quality.verdict, analysed_at=timezone.now()
        )
    if finished and photo is not None and photo.usable:
        _compare_with_baseline(photo)


def _decoded(photo: Photo, data: bytes) -> Decoded:
    """The decode the analysis reads; the first time, also the photo's served copy and upright size.

    The upload only read the file's header: a file the decoder refuses (damaged pixel
    data, grayscale) is refused here, by the file's name, and nothing of it is kept
    (its stored files go; the row says why).
    """
    from dermadelta.imaging.pipeline import decode_for_analysis

    label = _source_label(photo)
    if photo.display:
        return decode_for_analysis(data, name=label)  # prepared on an earlier attempt
    try:
        decoded = decode_for_analysis(data, name=label)
    except InputError as error:
        _discard(photo)
        reason = str(error).removeprefix(f"{label}: ")
        raise InputError(f"{photo.original_name or 'This photo'}: {reason}. Nothing of it was kept.") from None
    _store_served_copy(photo, decoded)
    return decoded


def _store_served_copy(photo: Photo, decoded: Decoded) -> None:
    """Store the served copy (no EXIF) and record the photo's upright size, or store nothing.

    The copy is made from the decode the analysis reads: a phone photo's reduced decode
    keeps at least 1280 px on its shorter side, and the copy is at most 2048 on its longer.
    """
    photo.display.save(f"{photo.sha256[:16]}-display.jpg", ContentFile(display_copy(decoded)), save=False)
    width, height = decoded.file_size
    try:
        kept = _holding(photo).update(display=photo.display.name, width=width, height=height)
    except Exception:
        photo.display.delete(save=False)
        raise
    if not kept:
        photo.display.delete(save=False)  # taken over meanwhile: the run that holds the job makes its own


def _discard(photo: Photo) -> None:
    """Remove a refused photo's stored files, the row keeping only the refusal (while this run holds the job)."""
    names = [stored.name for stored in (photo.original, photo.display) if stored and stored.name]
    storage = photo.original.storage
    if _holding(photo).update(original="", display=""):
        for name in names:
            storage.delete(name)


def _compare_with_baseline(photo: Photo) -> None:
    from dermadelta.clinic.records.actions import baseline_photo, request_comparison

    baseline = baseline_photo(photo)
    if baseline is not None:
        request_comparison(baseline, photo, by=photo.uploaded_by)


@task()
def compare_photos(comparison_id: int) -> None:
    """Measure the after photo against the before photo and store the result, the visuals and the PDF."""
    from dermadelta.clinic.records.visuals import store_visuals
    from dermadelta.imaging.pipeline import compare

    with running_job(Comparison, comparison_id) as comparison:
        if comparison is None:
            return
        before, after = comparison.before, comparison.after
        result = compare(_read(before), _read(after), names=(_source_label(before), _source_label(after)))
        visuals = store_visuals(comparison, result)
        finish(
            comparison,
            visuals=visuals,
            result=result.to_dict(),
            finished_at=timezone.now(),
            report_pdf=comparison.report_pdf.name,
        )
