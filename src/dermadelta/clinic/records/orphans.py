"""Stored files that no record names any more (an upload cut off mid-way, a job killed while writing) removed.

An upload writes a photo's original and display copy, then its row; a web worker
killed between the two (a timeout, the out-of-memory killer) leaves files that no row
names: originals with their EXIF intact (GPS position, serial numbers). The same holds
for a comparison's images written by a worker that died. The sweep removes every
stored file under a clinic's folder that no photo or comparison names, once it is
older than :data:`GRACE` (an upload or a job still in progress has not written its
row yet). Run by every long-running worker, and by ``dermadelta manage
remove_orphan_files``. The temporary files of an upload cut off while the request was
still reading it (``settings.FILE_UPLOAD_TEMP_DIR``) go the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from dermadelta.clinic.records.models import Comparison, Photo

logger = logging.getLogger(__name__)

#: How old an unnamed file must be to be removed: longer than any upload or job takes to write its row.
GRACE = dt.timedelta(hours=2)
#: Stored files of the records live under ``clinic-<id>/`` (:func:`records.models._record_path`).
PREFIX = "clinic-"


def _walk(storage: Storage, folder: str) -> Iterator[str]:
    folders, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for name in folders:
        yield from _walk(storage, f"{folder}/{name}" if folder else name)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def named_files() -> set[str]:
    """Every stored file a photo or a comparison names, hidden ones too (hiding is undone by showing again)."""
    names: set[str] = set()
    for original, display in Photo.with_hidden.values_list("original", "display").iterator():
        names.update((original, display))
    for report, visuals in Comparison.with_hidden.values_list("report_pdf", "visuals").iterator():
        names.add(report)
        names.update(_strings(visuals))
    names.discard("")
    return names


def orphan_files(*, storage: Storage | None = None, grace: dt.timedelta = GRACE) -> list[str]:
    """Stored files under a clinic's folder that no record names and that are older than ``grace``."""
    storage = storage or default_storage
    try:
        top_folders, _ = storage.listdir("")
    except FileNotFoundError:  # nothing stored yet
        return []
    stored = [path for folder in top_folders if folder.startswith(PREFIX) for path in _walk(storage, folder)]
    if not stored:
        return []
    named = named_files()  # read after listing: a row committed meanwhile is seen, its file kept
    cutoff = timezone.now() - grace
    return [path for path in stored if path not in named and storage.get_modified_time(path) < cutoff]


def stale_upload_files(*, grace: dt.timedelta = GRACE) -> list[Path]:
    """Temporary files of uploads older than ``grace``: a request still reading one is younger."""
    folder = settings.FILE_UPLOAD_TEMP_DIR
    if not folder or not Path(folder).is_dir():
        return []
    cutoff = time.time() - grace.total_seconds()
    return [path for path in Path(folder).iterdir() if path.is_file() and path.stat().st_mtime < cutoff]


def remove_orphan_files(*, storage: Storage | None = None, grace: dt.timedelta = GRACE) -> list[str]:
    """Remove :func:`orphan_files` and :func:`stale_upload_files`; return their names (logged, never shown)."""
    storage = storage or default_storage
    removed = []
    for path in orphan_files(storage=storage, grace=grace):
        storage.delete(path)
        removed.append(path)
    for stale in stale_upload_files(grace=grace):
        stale.unlink(missing_ok=True)
        removed.append(stale.name)
    if removed:
        logger.warning("removed %d stored file(s) that no record names: %s", len(removed), ", ".join(removed))
    return removed


def sweep_orphan_files(*, every_s: float) -> threading.Thread:
    """Remove orphaned files now and then every ``every_s`` seconds, in a daemon thread of the worker."""
    from django.db import close_old_connections

    def sweep() -> None:
        while True:
            try:
                remove_orphan_files()
            except Exception:  # noqa: BLE001 - a failed sweep is retried next time; the worker goes on
                logger.exception("removing orphaned stored files failed")
            finally:
                close_old_connections()
            time.sleep(every_s)

    thread = threading.Thread(target=sweep, name="remove-orphan-files", daemon=True)
    thread.start()
    return thread
