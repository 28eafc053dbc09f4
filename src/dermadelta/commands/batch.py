"""``dermadelta batch``: analyse a whole photo set on the job engine, resumably, into research tables."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from dermadelta.errors import InputError

if TYPE_CHECKING:
    from dermadelta.batch.photos import PhotoEntry, PhotoSet, RowProblem
    from dermadelta.batch.progress import ProgressLog

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
SETTINGS = "dermadelta.clinic.settings"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    batch = subparsers.add_parser(
        "batch",
        help="analyse a folder or CSV manifest of photos into per-zone tables and an outcome summary",
        description=(
            "Analyse every photo of a folder, or every row of a CSV manifest (columns: path, and optionally "
            "subject, session, concern, depth_mm, view), on the clinic's job engine. Rerun the same command "
            "to continue an interrupted batch."
        ),
    )
    batch.add_argument("source", metavar="FOLDER_OR_CSV", help="a folder of photos or a .csv manifest")
    batch.add_argument("--out", required=True, metavar="OUTDIR", help="folder for the tables and the progress")
    batch.add_argument(
        "--workers",
        type=int,
        default=2,
        metavar="N",
        help="workers to start for the batch (default 2); 0 uses workers already running elsewhere",
    )
    batch.add_argument(
        "--format",
        default=None,
        metavar="csv,parquet",
        help="formats of the metrics table (default: csv, and parquet when pyarrow is installed)",
    )
    batch.set_defaults(handler=run_batch)


def run_batch(args: argparse.Namespace) -> int:
    from dermadelta.batch.photos import read_photo_set
    from dermadelta.batch.progress import ProgressLog

    formats = _formats(args.format)
    if args.workers < 0:
        raise InputError(f"--workers must be 0 or more, not {args.workers}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    photo_set = read_photo_set(Path(args.source), exclude=out)
    for problem in photo_set.problems:
        print(f"dermadelta: {args.source}: {problem}", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    keyed, unreadable = _hash_all(photo_set)
    if not keyed:
        raise InputError(f"{args.source}: no photo to analyse (every row or file was refused, see above)")
    with ProgressLog(out / "progress.jsonl") as progress, _sigterm_as_exit():
        if progress.unreadable_lines:
            print(
                f"dermadelta: ignored {progress.unreadable_lines} line(s) cut short in progress.jsonl", file=sys.stderr
            )
        todo = [(sha256, entry) for sha256, entry in keyed if not progress.is_done((sha256, entry.path))]
        if todo:
            print(
                f"{len(keyed) - len(todo)} of {len(keyed)} photos already done; analysing {len(todo)}", file=sys.stderr
            )
            status = _analyse(todo, progress, out=out, workers=args.workers)
            if status != EXIT_OK:
                return status
        else:
            print(f"all {len(keyed)} photos already done", file=sys.stderr)
        return _write(out, keyed, progress, [*photo_set.problems, *unreadable], formats)


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _formats(raw: str | None) -> tuple[str, ...]:
    from dermadelta.batch.outputs import FORMATS

    if raw is None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return ("csv",)
        return FORMATS
    chosen = tuple(dict.fromkeys(name.strip().lower() for name in raw.split(",") if name.strip()))
    unknown = [name for name in chosen if name not in FORMATS]
    if unknown or not chosen:
        raise InputError(f"--format: {raw!r}; choose from {', '.join(FORMATS)} (comma-separated)")
    return chosen


def _hash_all(photo_set: PhotoSet) -> tuple[list[tuple[str, PhotoEntry]], list[RowProblem]]:
    """Each photo with the SHA-256 of its content; files that cannot be read become problems."""
    from dermadelta.batch.photos import RowProblem, file_sha256

    keyed: list[tuple[str, PhotoEntry]] = []
    problems: list[RowProblem] = []
    for entry in photo_set.entries:
        try:
            keyed.append((file_sha256(entry.file), entry))
        except OSError as error:
            problems.append(RowProblem(entry.path, f"cannot be read ({error.strerror or error})", entry.line))
    for problem in problems:
        print(f"dermadelta: {problem}", file=sys.stderr)
    return keyed, problems


def _analyse(todo: list[tuple[str, PhotoEntry]], progress: ProgressLog, *, out: Path, workers: int) -> int:
    """Run the photos' analyses on the job engine, appending each result to the progress log as it arrives."""
    from dermadelta.batch.progress import PhotoResult

    _setup_django()
    from dermadelta.clinic import research_queue as queue

    by_content: dict[str, list[PhotoEntry]] = {}
    for sha256, entry in todo:  # identical files are analysed once
        by_content.setdefault(sha256, []).append(entry)
    ids = queue.enqueue({sha256: entries[0].file for sha256, entries in by_content.items()}, out / queue.QUEUED_FILE)
    shown = _Progress(total=len(todo))
    try:
        with _workers(workers, out / "workers") as alive:
            for finished in queue.collect(ids, workers_alive=alive):
                for entry in by_content[finished.sha256]:
                    progress.append(
                        PhotoResult(entry.path, finished.sha256, finished.status, finished.reason, finished.analysis)
                    )
                    shown.advance()
    except KeyboardInterrupt:
        shown.close()
        print(
            f"\ninterrupted: {shown.done} of {len(todo)} photos done; run the same command to continue", file=sys.stderr
        )
        return EXIT_INTERRUPTED
    except queue.WorkersStopped as error:
        shown.close()
        print(f"dermadelta: error: {error} (see {out / 'workers'}); run the same command to continue", file=sys.stderr)
        return EXIT_FAILED
    shown.close()
    return EXIT_OK


@contextmanager
def _workers(count: int, log_dir: Path) -> Iterator[Callable[[], bool] | None]:
    from dermadelta.clinic.research_queue import batch_workers

    if count == 0:
        yield None
        return
    with batch_workers(count, log_dir) as workers:
        yield workers.alive


def _setup_django() -> None:
    """The configured database and job engine, migrated (a new data folder starts empty)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """``kill`` stops the batch as Ctrl-C does: the workers are stopped, the progress kept."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Progress:
    """A progress bar on a terminal; elsewhere (logs, CI) a plain line every 10 %."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self._next_tenth = 1
        self._bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="photo", file=sys.stderr)

    def advance(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
            return
        if self.done * 10 >= self._next_tenth * self.total:
            _say(f"analysed {self.done} of {self.total} photos ({100 * self.done // self.total} %)")
            self._next_tenth = self.done * 10 // self.total + 1

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _write(
    out: Path,
    keyed: Sequence[tuple[str, PhotoEntry]],
    progress: ProgressLog,
    problems: Sequence[RowProblem],
    formats: Sequence[str],
) -> int:
    from dermadelta.batch.outputs import write_outputs

    finished = [(entry, progress.results[(sha256, entry.path)]) for sha256, entry in keyed]
    written, tally = write_outputs(out, finished, problems, formats=formats)
    for path in written:
        print(f"wrote {path}")
    print(f"{tally.measured} photos measured, {tally.refused} refused (reasons in {out / 'refused.csv'})")
    if tally.failed:
        print(f"{tally.failed} analyses failed in the worker; run the same command to try them again")
    return EXIT_OK
