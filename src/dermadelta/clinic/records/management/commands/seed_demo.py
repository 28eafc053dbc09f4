"""``manage.py seed_demo``: the demo clinic with its logins and a simulated patient, already analysed."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django_tasks import task_backends
from django_tasks_db import DatabaseBackend

from dermadelta.clinic.records.demo import MAX_PHOTOS, login_lines, seed_demo


class Command(BaseCommand):
    help = (
        "Create the demo clinic: an admin, a practitioner and a patient login, and one simulated patient with a "
        "plan, charted sessions and photos already analysed. Running it again changes nothing and prints the "
        "same logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--photos",
            type=int,
            default=MAX_PHOTOS,
            choices=range(2, MAX_PHOTOS + 1),
            help=f"photos in the simulated course, the baseline included (default {MAX_PHOTOS})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The PDF engine reports every layout step; one line per seeding step is enough here.
        pdf_log = logging.getLogger("weasyprint")
        level = pdf_log.level
        pdf_log.setLevel(logging.ERROR)
        try:
            demo = seed_demo(photos=options["photos"], say=self.stdout.write)
        finally:
            pdf_log.setLevel(level)
        if isinstance(task_backends["default"], DatabaseBackend):
            # The uploads also put their jobs on the queue; they were done above, so the worker only clears them.
            self.stdout.write("Clearing the task queue...")
            call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "-v", "0")
        self.stdout.write(self.style.SUCCESS(f"The demo clinic {demo.clinic.name!r} is ready. Sign in with:"))
        for line in login_lines(demo):
            self.stdout.write(f"  {line}")
        self.stdout.write(f"These sign-in details are kept in {demo.logins_file} (readable by you only).")
