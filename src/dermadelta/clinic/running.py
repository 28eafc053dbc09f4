"""The web server and one background worker as child processes, started and stopped together.

``dermadelta start`` runs them until Ctrl-C; the browser tests, the screenshot
script and the load benchmark run them around their own work, exactly as a clinic
runs them (the last two on a demo clinic seeded by :func:`demo_in`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

STOP_TIMEOUT_S = 15


@dataclass(frozen=True)
class Demo:
    """A seeded demo clinic: sign-in details by role (user name, password) and the demo patient's id."""

    logins: dict[str, tuple[str, str]]
    patient_id: int


def demo_in(data_dir: Path, *, photos: int | None = None) -> Demo:
    """Point this process at ``data_dir``, migrate, collect static files and seed the demo clinic there."""
    os.environ["DERMADELTA_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dermadelta.clinic.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from dermadelta.clinic.records.demo import ACCOUNTS, logins_path, read_logins
    from dermadelta.clinic.records.models import Patient

    call_command("migrate", "--no-input", "-v", "0")
    call_command("collectstatic", "--no-input", "-v", "0")
    call_command("seed_demo", *([] if photos is None else ["--photos", str(photos)]))
    passwords = read_logins(logins_path())
    logins = {role: (username, passwords[username]) for role, username, _, _ in ACCOUNTS}
    return Demo(logins=logins, patient_id=Patient.objects.get(user__username=logins["patient"][0]).pk)


@dataclass(frozen=True)
class Running:
    url: str
    server: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]

    def alive(self) -> bool:
        return self.server.poll() is None and self.worker.poll() is None


@contextmanager
def web_and_worker(
    host: str,
    port: int,
    *,
    web_workers: int = 2,
    env: Mapping[str, str] | None = None,
    log_dir: Path | None = None,
    ready_timeout_s: float = 60,
) -> Iterator[Running]:
    """Start ``dermadelta serve`` and ``dermadelta worker``; yield once the server answers; stop both.

    Output goes to ``log_dir/server.log`` and ``log_dir/worker.log`` when given, else to
    this process's own output.
    """
    me = [sys.executable, "-m", "dermadelta.cli"]
    child_env = None if env is None else dict(env)
    with ExitStack() as stack:

        def spawn(name: str, args: list[str]) -> subprocess.Popen[bytes]:
            log = None if log_dir is None else stack.enter_context(open(log_dir / f"{name}.log", "wb"))
            stderr = None if log is None else subprocess.STDOUT
            return subprocess.Popen([*me, *args], env=child_env, stdout=log, stderr=stderr)

        worker = spawn("worker", ["worker"])
        server = spawn("server", ["serve", "--host", host, "--port", str(port), "--workers", str(web_workers)])
        running = Running(url=f"http://{host}:{port}", server=server, worker=worker)
        try:
            _wait_until_up(running, ready_timeout_s)
            yield running
        finally:
            stop(server, worker)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (for a server started right after)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_until_up(running: Running, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not running.alive():
            raise RuntimeError("the web server or the worker exited while starting (see its output)")
        try:
            with urllib.request.urlopen(f"{running.url}/login/", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the web server did not answer at {running.url} within {timeout_s:.0f} s")


def stop(*processes: subprocess.Popen[bytes], timeout_s: float = STOP_TIMEOUT_S) -> None:
    """Ask each process to stop (SIGTERM: a worker finishes its job first); kill what is left after ``timeout_s``."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + timeout_s
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
