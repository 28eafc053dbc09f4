"""``remove_orphan_files``: remove stored files that no photo or comparison names (see records.orphans)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dermadelta.clinic.records.orphans import GRACE, remove_orphan_files


class Command(BaseCommand):
    help = "Remove stored photo files that no record names (left by an upload or a job cut off mid-way)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=int(GRACE.total_seconds() // 60),
            help="only files at least this old (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        grace = dt.timedelta(minutes=max(options["older_than_minutes"], 0))
        removed = remove_orphan_files(grace=grace)
        self.stdout.write(f"{len(removed)} file(s) removed")
