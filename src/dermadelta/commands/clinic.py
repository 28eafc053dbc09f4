"""``dermadelta serve``, ``worker``, ``manage`` and ``start``: the clinic application from the shell.

``start`` is what ``make run`` does on one machine: migrate, seed the demo clinic
(once), then run the web server and the background worker until Ctrl-C or SIGTERM,
starting either again if it dies.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

SETTINGS = "dermadelta.clinic.settings"
#: How soon a batch worker asks again after the database was locked (the engine's default is 1 s).
BATCH_RETRY_S = 0.05


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser("serve", help="run the clinic web application (gunicorn)")
    _add_address(serve)
    serve.add_argument("--workers", type=int, default=2, help="web server processes (default 2)")
    serve.set_defaults(handler=run_serve)

    worker = subparsers.add_parser("worker", help="run a background worker (photo analysis, comparisons)")
    worker.add_argument("--batch", action="store_true", help="run what is queued, then exit (RQ: burst mode)")
    worker.set_defaults(handler=run_worker)

    manage = subparsers.add_parser("manage", help="Django's management commands (migrate, createsuperuser, ...)")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=run_manage)

    start = subparsers.add_parser("start", help="migrate, seed the demo clinic, run the web server and a worker")
    _add_address(start)
    start.add_argument("--no-demo", action="store_true", help="do not create the demo clinic and its logins")
    start.set_defaults(handler=run_start)


def _add_address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")


def django_command(argv: Sequence[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dermadelta manage", *argv])


def run_manage(args: argparse.Namespace) -> int:
    django_command(args.args)
    return 0


def _stop_when_orphaned(*, every_s: float = 0.5) -> None:
    """A batch worker stops (finishing the photo in hand) once the batch that started it
    is gone: a batch killed outright would otherwise leave it analysing photos whose
    results nobody records, which the next run analyses again."""
    import signal
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def run_worker(args: argparse.Namespace) -> int:
    """The configured engine's worker, with the sweep that queues again the jobs of workers that died."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    django.setup()
    from django.conf import settings

    from dermadelta.clinic.records.tasks import requeue_stalled, sweep_stalled_jobs

    if args.batch:
        requeue_stalled()
        _stop_when_orphaned()
    else:
        # A stalled job is found within a quarter of a lease after its lease ran out.
        sweep_stalled_jobs(every_s=settings.JOB_LEASE_SECONDS / 4)
        # Files an upload or a job cut off mid-way left without their record (originals with EXIF).
        from dermadelta.clinic.records.orphans import sweep_orphan_files

        sweep_orphan_files(every_s=3600)
    queues = settings.TASKS["default"]["QUEUES"]
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
        # SimpleWorker runs each job in the worker's own process, as db_worker does: the
        # measurement models load once per worker, not once per job in a forked child.
        rq = ["rqworker", "--job-class", "django_tasks_rq.Job", "--worker-class", "rq.SimpleWorker"]
        django_command([*rq, *(["--burst"] if args.batch else []), *queues])
    else:
        db = ["db_worker", "--no-reload", "--queue-name", ",".join(queues)]
        # A batch's workers start on a queue already filled, so no random start-up delay is
        # needed to spread them; and a task missed on a locked database is tried again soon.
        batch = ["--batch", "--no-startup-delay", "--interval", str(BATCH_RETRY_S)]
        django_command([*db, *(batch if args.batch else [])])
    return 0


def run_serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn",
        "dermadelta.clinic.wsgi:application",
        f"--bind={args.host}:{args.port}",
        f"--workers={args.workers}",
        # gunicorn's own refusals (an oversized header, a NUL in one) in the API's JSON error shape
        "--worker-class=dermadelta.clinic.webserver.ApiErrorWorker",
        "--access-logfile=-",
        "--timeout=60",
    ]
    run()
    return 0


def run_start(args: argparse.Namespace) -> int:
    import signal

    # SIGTERM (systemd, docker stop, kill) stops the clinic as Ctrl-C does: the children
    # are stopped on the way out instead of being left running without their parent.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        django_command(["migrate", "--no-input", "-v", "0"])
        django_command(["collectstatic", "--no-input", "-v", "0"])
        if not args.no_demo:
            django_command(["seed_demo"])
        from dermadelta.clinic.running import web_and_worker

        with web_and_worker(args.host, args.port) as running:
            print(f"\ndermadelta is running at {running.url}/  (Ctrl-C stops it)\n", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("dermadelta stopped.", flush=True)
    return 0
