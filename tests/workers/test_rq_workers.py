"""Redis-backed workers on one database: jobs spread over workers, each photo analysed once,
a killed worker's job finished by another after the lease, duplicate deliveries harmless."""

from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.registry import FinishedJobRegistry

from tests.workers.conftest import Installation, WorkerProcess, wait_until


def _claimed_photos(workers: list[WorkerProcess]) -> list[int]:
    return sorted(photo for worker in workers for photo, _ in worker.claims())


def test_two_workers_share_the_photos_and_analyse_each_once(installation: Installation) -> None:
    workers = [installation.start_worker(), installation.start_worker()]
    installation.wait_for_rq_workers(2)

    ids = installation.upload(6)
    wait_until(lambda: installation.all_done(ids), "all six photos to be analysed")

    assert installation.photos() == {pk: ("done", 1) for pk in ids}
    assert _claimed_photos(workers) == sorted(ids)  # each photo claimed once, by one worker
    assert all(worker.claims() for worker in workers), [worker.claims() for worker in workers]


def test_the_job_of_a_killed_worker_is_finished_by_another_after_the_lease(installation: Installation) -> None:
    installation.env["DERMADELTA_JOB_LEASE_SECONDS"] = "15"  # renewed while a job works: any analysis fits
    workers = [installation.start_worker(), installation.start_worker()]
    installation.wait_for_rq_workers(2)
    ids = installation.upload(4)

    victim, photo = installation.freeze_mid_job(workers)
    victim.process.kill()  # SIGKILL: no clean-up of any kind, as when a machine dies
    victim.process.wait()
    survivor = next(worker for worker in workers if worker is not victim)

    wait_until(lambda: installation.all_done(ids), "the survivor to finish every photo")
    assert installation.photos() == {pk: ("done", 2 if pk == photo else 1) for pk in ids}
    assert (photo, 1) in victim.claims() and (photo, 2) in survivor.claims()
    assert _claimed_photos(workers).count(photo) == 2 and len(_claimed_photos(workers)) == len(ids) + 1


def test_a_duplicate_delivery_of_a_done_or_a_running_job_analyses_nothing(installation: Installation) -> None:
    done, held = installation.upload(2)
    first = installation.start_worker("--batch")
    assert first.process.wait(timeout=120) == 0
    assert installation.photos() == {done: ("done", 1), held: ("done", 1)}

    # `held` now looks as if another worker had just claimed it again; both are delivered once more.
    duplicates = f"""
from django.utils import timezone
from dermadelta.clinic.records.models import Photo
from dermadelta.clinic.records.tasks import analyse_photo
Photo.objects.filter(pk={held}).update(status="running", claimed_at=timezone.now())
analyse_photo.enqueue({done})
analyse_photo.enqueue({held})
"""
    installation.manage("shell", "-c", duplicates)
    second = installation.start_worker("--batch")
    assert second.process.wait(timeout=120) == 0

    assert installation.photos() == {done: ("done", 1), held: ("running", 1)}
    assert second.claims() == []
    queue = Queue("default", connection=Redis.from_url(installation.redis_url))
    assert len(FinishedJobRegistry(queue=queue).get_job_ids()) == 4  # both duplicates were delivered and ran
