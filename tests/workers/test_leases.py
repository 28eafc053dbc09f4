"""A killed worker's job runs again within a minute of a new worker starting, on both engines:
the job's claim is renewed only while its worker lives, on a short lease, and a starting
worker queues again the jobs whose claims have lapsed.

The worker processes run with the default lease, as a clinic's do."""

from __future__ import annotations

from tests.workers.conftest import Installation, WorkerProcess, wait_until

#: The promise: a dead worker's job is running again this soon after a new worker starts.
RUNNING_AGAIN_WITHIN_S = 60


def _kill_mid_job_and_start_another(installation: Installation, first: WorkerProcess) -> None:
    (photo,) = installation.upload(1)
    victim, frozen = installation.freeze_mid_job([first])
    assert frozen == photo
    victim.process.kill()  # SIGKILL: no clean-up of any kind, as the out-of-memory killer does
    victim.process.wait()
    assert installation.photos()[photo] == ("running", 1)  # nothing released the claim

    successor = installation.start_worker()

    wait_until(
        lambda: installation.photos()[photo][1] == 2,
        "the killed worker's photo to be claimed again",
        deadline_s=RUNNING_AGAIN_WITHIN_S,
    )
    wait_until(lambda: installation.all_done([photo]), "the new worker to finish the photo")
    assert installation.photos() == {photo: ("done", 2)}
    assert victim.claims() == [(photo, 1)] and successor.claims() == [(photo, 2)]


def test_a_killed_database_workers_job_runs_again_soon_after_a_new_worker_starts(
    database_installation: Installation,
) -> None:
    _kill_mid_job_and_start_another(database_installation, database_installation.start_worker())


def test_a_killed_redis_workers_job_runs_again_soon_after_a_new_worker_starts(installation: Installation) -> None:
    first = installation.start_worker()
    installation.wait_for_rq_workers(1)
    _kill_mid_job_and_start_another(installation, first)
