"""The web server and one background worker as supervised child processes.

``dermadelta start`` runs them until Ctrl-C or SIGTERM; the browser tests, the
screenshot script and the load benchmark run them around their own work, exactly as
a clinic runs them (the last two on a demo clinic seeded by :func:`demo_in`).

Once the web server answers, a child that dies (the kernel's out-of-memory killer,
a crash) is logged with its exit and started again after a back-off, while the other
keeps running: a dead worker must never take the web pages down with it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 15
#: Back-off before starting a dead child again: doubled after each quick death, up to the cap.
RESTART_DELAY_S = 1.0
RESTART_DELAY_MAX_S = 30.0
#: A child that ran this long before dying starts again after the shortest delay.
STABLE_AFTER_S = 60.0
WATCH_EVERY_S = 0.2


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


def describe_exit(returncode: int) -> str:
    """``killed by SIGKILL`` or ``exited with status 1``: how a child ended, for the log."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    return f"exited with status {returncode}"


class Child:
    """One supervised command: its current process, and when to start it again after it died."""

    def __init__(self, name: str, argv: list[str], *, env: Mapping[str, str] | None, output: IO[bytes] | None):
        self.name = name
        self._argv = argv
        self._env = None if env is None else dict(env)
        self._output = output
        self._quick_deaths = 0
        self._restart_at: float | None = None
        self.process = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        stderr = None if self._output is None else subprocess.STDOUT
        process = subprocess.Popen(self._argv, env=self._env, stdout=self._output, stderr=stderr)
        self._started = time.monotonic()
        log.info("%s started (pid %d)", self.name, process.pid)
        return process

    def supervise(self, now: float) -> None:
        """Notice a death (log it, schedule the restart) or start again once the back-off has passed."""
        if self._restart_at is None:
            returncode = self.process.poll()
            if returncode is None:
                return
            if now - self._started >= STABLE_AFTER_S:
                self._quick_deaths = 0
            delay = min(RESTART_DELAY_S * 2**self._quick_deaths, RESTART_DELAY_MAX_S)
            self._quick_deaths += 1
            self._restart_at = now + delay
            log.warning(
                "%s (pid %d) %s; starting it again in %.0f s",
                self.name,
                self.process.pid,
                describe_exit(returncode),
                delay,
            )
        elif now >= self._restart_at:
            self._restart_at = None
            self.process = self._spawn()


class Supervisor:
    """Children started together, watched from a thread once :meth:`watch` is called, stopped together."""

    def __init__(self, children: list[Child]):
        self.children = children
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def pids(self) -> dict[str, int]:
        return {child.name: child.process.pid for child in self.children}

    def exited(self) -> Child | None:
        """A child that has exited, if any (only meaningful before :meth:`watch`: later they are restarted)."""
        return next((child for child in self.children if child.process.poll() is not None), None)

    def watch(self) -> None:
        def loop() -> None:
            while not self._stopping.wait(WATCH_EVERY_S):
                for child in self.children:
                    try:
                        child.supervise(time.monotonic())
                    except OSError:  # could not start it (no memory, no process slot): try again later
                        log.exception("starting %s again failed", child.name)

        self._thread = threading.Thread(target=loop, name="supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """No more restarts; then stop every child (see :func:`stop`)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        stop(*(child.process for child in self.children))


@dataclass(frozen=True)
class Running:
    url: str
    supervisor: Supervisor


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

    From then on a child that dies is started again (see :class:`Child`). A child that
    dies before the server first answers is an error: a port already taken or a broken
    setting would otherwise be retried for ever. Output goes to ``log_dir/server.log``
    and ``log_dir/worker.log`` when given, else to this process's own output.
    """
    me = [sys.executable, "-m", "dermadelta.cli"]
    with ExitStack() as stack:

        def child(name: str, log_name: str, args: list[str]) -> Child:
            output = None if log_dir is None else stack.enter_context(open(log_dir / f"{log_name}.log", "wb"))
            return Child(name, [*me, *args], env=env, output=output)

        children: list[Child] = []
        supervisor = Supervisor(children)
        try:
            children.append(child("worker", "worker", ["worker"]))
            serve = ["serve", "--host", host, "--port", str(port), "--workers", str(web_workers)]
            children.append(child("web server", "server", serve))
            running = Running(url=f"http://{host}:{port}", supervisor=supervisor)
            _wait_until_up(running, ready_timeout_s)
            supervisor.watch()
            yield running
        finally:
            supervisor.stop()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (for a server started right after)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_until_up(running: Running, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        dead = running.supervisor.exited()
        if dead is not None:
            how = describe_exit(dead.process.returncode)
            raise RuntimeError(f"the {dead.name} {how} while starting (see its output)")
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
