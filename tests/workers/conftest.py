"""Real parts for the worker tests: a redis-server on a free port, a migrated SQLite file,
and ``dermadelta worker`` processes sharing both, exactly as workers on several machines do
(or, without Redis, database-backed workers sharing the SQLite file).

The claim tests run in this process against pytest-django's database, with the clinic's fixtures.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Worker as RQWorker

from dermadelta.clinic.running import free_port
from tests.clinic.conftest import (  # noqa: F401  (fixtures shared with the clinic's tests)
    alice,
    committed,
    face_pair,
    fast_passwords,
    patient,
    private_media,
    riverside,
    run_worker,
)

DEADLINE_S = 120
CLI = [sys.executable, "-m", "dermadelta.cli"]
CLAIM = re.compile(r"photo (\d+) claimed by .* \(attempt (\d+)\)")

# Run inside `manage shell -c`: a clinic, a patient with photography consent, and
# `count` photos uploaded through the same action the web page calls (which enqueues them).
UPLOAD = """
import json, os
from pathlib import Path
from django.contrib.auth.models import User
from dermadelta.clinic.accounts.models import Clinic
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind, View

alice, _ = User.objects.get_or_create(username="alice")
clinic, _ = Clinic.objects.get_or_create(name="Riverside Skin", defaults={"time_zone": "Europe/London"})
pat = actions.create_patient(clinic, {"first_name": "Pat", "last_name": "Doe", "date_of_birth": "1988-04-02"}, by=alice)
actions.grant_consent(pat, ConsentKind.PHOTOGRAPHY, by=alice)
faces = [Path(path).read_bytes() for path in os.environ["TEST_FACES"].split(os.pathsep)]
files = [(f"face-{n}.jpg", faces[n % len(faces)]) for n in range(int(os.environ["TEST_PHOTOS"]))]
outcome = actions.upload_photos(pat, files, view=View.FRONT, session=None, by=alice)
assert not outcome.refused, outcome.refused
print(json.dumps([photo.pk for photo in outcome.saved]))
"""


def wait_until(condition: Callable[[], bool], what: str, *, deadline_s: float = DEADLINE_S) -> None:
    """Poll ``condition`` until it holds; fail saying ``what`` was awaited."""
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {deadline_s:.0f} s for {what}")
        time.sleep(0.1)


@dataclass
class WorkerProcess:
    """A running ``dermadelta worker`` and its log."""

    process: subprocess.Popen[bytes]
    log: Path

    def claims(self) -> list[tuple[int, int]]:
        """(photo id, attempt) for each claim this worker logged."""
        text = self.log.read_text(errors="replace")
        return [(int(photo), int(attempt)) for photo, attempt in CLAIM.findall(text)]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Installation:
    """One database and one Redis (none for database-backed workers), and the processes of the clinic that use them."""

    data_dir: Path
    redis_url: str | None
    faces: list[Path]
    env: dict[str, str]
    workers: list[WorkerProcess] = field(default_factory=list)

    @property
    def redis(self) -> Redis:
        assert self.redis_url is not None, "an installation without Redis"
        return Redis.from_url(self.redis_url)

    def manage(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [*CLI, "manage", *args],
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=DEADLINE_S,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def upload(self, count: int) -> list[int]:
        faces = os.pathsep.join(str(path) for path in self.faces)
        out = self.manage("shell", "-c", UPLOAD, extra_env={"TEST_FACES": faces, "TEST_PHOTOS": str(count)})
        ids: list[int] = json.loads(out.strip().splitlines()[-1])
        return ids

    def start_worker(self, *args: str) -> WorkerProcess:
        log = self.data_dir.parent / f"worker-{len(self.workers) + 1}.log"
        with log.open("wb") as out:
            process = subprocess.Popen([*CLI, "worker", *args], env=self.env, stdout=out, stderr=subprocess.STDOUT)
        worker = WorkerProcess(process, log)
        self.workers.append(worker)
        return worker

    def wait_for_rq_workers(self, count: int) -> None:
        """Until ``count`` workers have registered with Redis and listen to the queue."""
        wait_until(lambda: RQWorker.count(connection=self.redis) == count, f"{count} RQ workers to register")

    def photos(self) -> dict[int, tuple[str, int]]:
        """Each photo's (status, attempts), read from the database file as any other process would."""
        uri = f"file:{self.data_dir / 'dermadelta.sqlite3'}?mode=ro"
        with sqlite3.connect(uri, uri=True, timeout=20) as db:
            rows = db.execute("SELECT id, status, attempts FROM records_photo").fetchall()
        return {pk: (status, attempts) for pk, status, attempts in rows}

    def all_done(self, ids: list[int]) -> bool:
        photos = self.photos()
        return all(photos[pk][0] == "done" for pk in ids)

    def freeze_mid_job(self, workers: list[WorkerProcess]) -> tuple[WorkerProcess, int]:
        """Stop (SIGSTOP) a worker whose photo is still running; return it and the photo."""
        caught: list[tuple[WorkerProcess, int]] = []

        def worker_frozen_mid_job() -> bool:
            for worker in workers:
                for photo, attempt in worker.claims():
                    if self.photos()[photo] != ("running", attempt):
                        continue
                    os.kill(worker.process.pid, signal.SIGSTOP)
                    if self.photos()[photo] == ("running", attempt):  # frozen before it finished
                        caught.append((worker, photo))
                        return True
                    os.kill(worker.process.pid, signal.SIGCONT)
            return False

        wait_until(worker_frozen_mid_job, "a worker in the middle of a job")
        return caught[0]


def clinic_env(data_dir: Path, redis_url: str | None) -> dict[str, str]:
    """The clinic processes' environment: Redis-backed workers when ``redis_url`` is given, else the database's."""
    # The processes share the SQLite file of this data folder, whatever DATABASE_URL the
    # suite runs under: these tests are about workers and processes, not the database.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DERMADELTA_") and name != "DATABASE_URL"
    }
    env |= {
        "DERMADELTA_DATA_DIR": str(data_dir),
        "DERMADELTA_SECRET_KEY": "x" * 40,
        "DERMADELTA_LOG_LEVEL": "INFO",
        "DJANGO_SETTINGS_MODULE": "dermadelta.clinic.settings",
    }
    if redis_url is not None:
        env["DERMADELTA_REDIS_URL"] = redis_url
    return env


@pytest.fixture(scope="session")
def migrated_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with a migrated database, copied by each test (migrating costs seconds)."""
    data = tmp_path_factory.mktemp("migrated") / "data"
    data.mkdir()
    # Migrating needs no Redis: the address is only read, never dialled.
    env = clinic_env(data, "redis://127.0.0.1:1/0")
    subprocess.run([*CLI, "manage", "migrate", "-v", "0"], env=env, check=True, timeout=DEADLINE_S)
    return data


@pytest.fixture(scope="session")
def face_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A simulated before and after JPEG of one face, written once for all tests."""
    from dermadelta.demo import simulated_pair

    folder = tmp_path_factory.mktemp("faces")
    paths = [folder / "before.jpg", folder / "after.jpg"]
    for path, data in zip(paths, simulated_pair(seed=11), strict=True):
        path.write_bytes(data)
    return paths


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A redis-server of this test's own on 127.0.0.1, without persistence; stopped at the end."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except RedisConnectionError:  # not listening yet
            return False

    try:
        wait_until(answers, "redis-server to answer", deadline_s=30)
        yield url
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=15)


@contextmanager
def _installation(
    tmp_path: Path, redis_url: str | None, migrated_data: Path, face_files: list[Path]
) -> Iterator[Installation]:
    data = tmp_path / "data"
    shutil.copytree(migrated_data, data)
    clinic = Installation(data_dir=data, redis_url=redis_url, faces=face_files, env=clinic_env(data, redis_url))
    try:
        yield clinic
    finally:
        for worker in clinic.workers:
            if worker.process.poll() is None:
                os.kill(worker.process.pid, signal.SIGCONT)  # a frozen worker would never hear SIGTERM
            worker.stop()


@pytest.fixture
def installation(tmp_path: Path, redis_url: str, migrated_data: Path, face_files: list[Path]) -> Iterator[Installation]:
    """Redis-backed (RQ) workers."""
    with _installation(tmp_path, redis_url, migrated_data, face_files) as clinic:
        yield clinic


@pytest.fixture
def database_installation(tmp_path: Path, migrated_data: Path, face_files: list[Path]) -> Iterator[Installation]:
    """Database-backed workers (django-tasks' database backend), the default engine."""
    with _installation(tmp_path, None, migrated_data, face_files) as clinic:
        yield clinic
