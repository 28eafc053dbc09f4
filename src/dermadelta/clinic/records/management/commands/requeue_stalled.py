"""``manage.py requeue_stalled``: queue again the jobs whose worker died mid-job."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from dermadelta.clinic.records.tasks import requeue_stalled


class Command(BaseCommand):
    help = (
        "Queue again each photo analysis or comparison still running whose worker has not renewed its claim for "
        "DERMADELTA_JOB_LEASE_SECONDS (the worker was killed or its machine stopped). Every `dermadelta worker` "
        "does this when it starts and then every quarter of a lease; this command does it once, now."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        requeued = requeue_stalled()
        for job in requeued:
            self.stdout.write(f"requeued {job} (attempt {job.attempts} stalled)")
        self.stdout.write(f"{len(requeued)} stalled job(s) requeued; lease {settings.JOB_LEASE_SECONDS} s")
