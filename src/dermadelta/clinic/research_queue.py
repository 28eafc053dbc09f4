"""A research batch on the configured job engine: enqueue, run workers for the batch, collect results.

The engine is whatever ``TASKS`` configures (the database backend by default,
RQ when ``DERMADELTA_REDIS_URL`` is set); results come back through the
backend's ``get_result``, which both support. The ids of enqueued tasks are kept
in ``queued.jsonl`` beside the batch's progress, so that a rerun after an
interruption collects the tasks still queued or already finished instead of
analysing those photos again; a task that was running when the batch stopped
may have died with its worker, and is enqueued afresh.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.exceptions import TaskException

from dermadelta.batch.progress import Status
from dermadelta.clinic.research import analyse_file
from dermadelta.clinic.running import stop

QUEUED_FILE = "queued.jsonl"
STOP_TIMEOUT_S = 30
#: How many unfinished tasks one polling round asks about, from the oldest: queues
#: run tasks about in order, so later ones are rarely done yet (and 10 000 look-ups
#: a round would cost seconds).
POLL_WINDOW = 64
#: What OpenCV, OpenMP and the BLAS libraries read for how many threads to start
#: (by default one per core, in every process).
THREAD_VARIABLES = ("OPENCV_FOR_THREADS_NUM", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class WorkersStopped(RuntimeError):
    """The batch's workers exited while some of its photos were still unanalysed."""


@dataclass(frozen=True)
class Finished:
    """What the task said about one photo's content."""

    sha256: str
    status: Status
    reason: str
    analysis: dict[str, Any] | None


def enqueue(photos: Mapping[str, Path], queued_log: Path) -> dict[str, str]:
    """A task id for each photo (by SHA-256): an earlier run's task when it is queued or done, else a new one."""
    earlier = _read_queued(queued_log)
    ids: dict[str, str] = {}
    with queued_log.open("a", encoding="utf-8") as log:
        for sha256, file in photos.items():
            reusable = earlier.get((sha256, str(file)))
            if reusable is not None and _still_useful(reusable):
                ids[sha256] = reusable
                continue
            result = analyse_file.enqueue(str(file))
            ids[sha256] = result.id
            log.write(json.dumps({"sha256": sha256, "file": str(file), "id": result.id}) + "\n")
            log.flush()
    return ids


def _read_queued(queued_log: Path) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    if not queued_log.exists():
        return found
    for line in queued_log.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
            found[(data["sha256"], data["file"])] = data["id"]
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a kill
    return found


def _still_useful(result_id: str) -> bool:
    try:
        status = analyse_file.get_result(result_id).status
    except TaskException:  # gone (another database, results pruned) or not ours
        return False
    return status in (TaskResultStatus.READY, TaskResultStatus.SUCCESSFUL)


def collect(
    ids: Mapping[str, str], *, workers_alive: Callable[[], bool] | None = None, poll_s: float = 0.5
) -> Iterator[Finished]:
    """Yield each photo's outcome as its task finishes, until all have.

    ``workers_alive`` tells whether the batch's own workers still run; when they
    have all exited with tasks left, :class:`WorkersStopped` is raised (without it
    the batch relies on workers running elsewhere and waits).
    """
    waiting = dict(ids)  # sha256 -> task id, oldest first
    while waiting:
        alive_before = workers_alive is None or workers_alive()
        finished = []
        window = list(waiting.items())[:POLL_WINDOW]
        done = _finished_ids([result_id for _, result_id in window])
        for sha256, result_id in window:
            if done is not None and result_id not in done:
                continue
            result = analyse_file.get_result(result_id)
            if result.is_finished:
                finished.append(sha256)
                yield _finished(sha256, result)
        for sha256 in finished:
            del waiting[sha256]
        if waiting and not finished:
            if not alive_before:  # checked before this round, so the round saw everything they did
                raise WorkersStopped(f"the workers stopped with {len(waiting)} photos still to analyse")
            time.sleep(poll_s)


def _finished_ids(result_ids: list[str]) -> set[str] | None:
    """Which of these tasks have finished, in one query on the database engine; ``None`` on another.

    Asking about each task costs a query and about a millisecond of this process's
    time, taken from the workers' cores: the batch process of 200 photos used 14 s
    of processor time asking one by one, 3 s with one query a round.
    """
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import normalize_uuid

    if not isinstance(analyse_file.get_backend(), DatabaseBackend):
        return None
    finished = (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)
    rows = DBTaskResult.objects.filter(id__in=result_ids, status__in=finished).values_list("id", flat=True)
    return {normalize_uuid(result_id) for result_id in rows}


def _finished(sha256: str, result: TaskResult[dict[str, Any]]) -> Finished:
    if result.status != TaskResultStatus.SUCCESSFUL:
        last_line = result.errors[-1].traceback.strip().splitlines()[-1] if result.errors else "no details"
        return Finished(sha256, "error", f"the analysis failed in the worker ({last_line})", None)
    value = result.return_value or {}
    if value.get("sha256") and value["sha256"] != sha256:
        return Finished(sha256, "error", "the file changed while the batch ran; run the batch again", None)
    if value.get("refused"):
        return Finished(sha256, "refused", str(value["refused"]), value.get("analysis"))
    return Finished(sha256, "measured", "", value.get("analysis"))


@dataclass
class Workers:
    processes: list[subprocess.Popen[bytes]]

    def alive(self) -> bool:
        return any(process.poll() is None for process in self.processes)


@contextmanager
def batch_workers(count: int, log_dir: Path) -> Iterator[Workers]:
    """Start ``count`` ``dermadelta worker --batch`` processes; stop them when the batch ends.

    ``--batch`` workers exit by themselves once the queue is empty, so even a batch
    killed without a chance to stop them leaves no worker running for ever. They
    run in their own session, so that Ctrl-C reaches the batch alone and the batch
    stops them gently: each finishes the photo in hand.
    """
    command = [sys.executable, "-m", "dermadelta.cli", "worker", "--batch"]
    env = worker_env(count)
    log_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        processes = []
        for number in range(1, count + 1):
            log = stack.enter_context(open(log_dir / f"worker-{number}.log", "ab"))
            processes.append(
                subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env=env,
                )
            )
        try:
            yield Workers(processes)
        finally:
            stop(*processes, timeout_s=STOP_TIMEOUT_S)


def worker_env(count: int, environ: Mapping[str, str] | None = None, *, cores: int | None = None) -> dict[str, str]:
    """The environment of each of ``count`` batch workers.

    With more than one, each worker's libraries start threads for its share of the
    cores: a thread per core in every worker would have them take turns on the
    cores instead of running side by side. A value already set is kept.
    """
    env = dict(os.environ if environ is None else environ)
    if count > 1:
        cores = cores or _cores()
        share = str(max(1, cores // count))
        for name in THREAD_VARIABLES:
            env.setdefault(name, share)
    return env


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use, not all the machine's
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
