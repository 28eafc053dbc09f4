"""The real application for browser tests: web server and worker as separate processes.

A fresh data folder (SQLite database, photo storage) per test session; the
server and the database worker run exactly as ``make run`` starts them, and
headless Chromium (Debian's package) is driven by Playwright.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PRACTITIONER = ("practitioner", "browser-test-password-1")
CLINIC_SETUP = """
from django.contrib.auth.models import User
from dermadelta.clinic.accounts.models import Clinic, Membership, Role
clinic = Clinic.objects.create(name="Browser Test Clinic", time_zone="Europe/London")
user = User.objects.create_user({username!r}, password={password!r}, first_name="Prue", last_name="Practitioner")
Membership.objects.create(user=user, clinic=clinic, role=Role.PRACTITIONER)
"""

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class LiveApp:
    url: str
    data_dir: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "dermadelta.cli", "manage", *args], env=env, check=True, timeout=300)


def _wait_until_up(url: str, server: subprocess.Popen[bytes], *, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the web server exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/login/", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the web server did not answer at {url} within {timeout_s} s")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    data_dir = tmp_path_factory.mktemp("clinic-data")
    env = {**os.environ, "DERMADELTA_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "dermadelta.clinic.settings"}
    _manage(env, "migrate", "--no-input", "-v", "0")
    _manage(env, "collectstatic", "--no-input", "-v", "0")
    _manage(env, "shell", "-c", CLINIC_SETUP.format(username=PRACTITIONER[0], password=PRACTITIONER[1]))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    logs = data_dir / "logs"
    logs.mkdir()
    me = [sys.executable, "-m", "dermadelta.cli"]
    with open(logs / "server.log", "wb") as server_log, open(logs / "worker.log", "wb") as worker_log:
        server = subprocess.Popen(
            [*me, "serve", "--port", str(port), "--workers", "1"], env=env, stdout=server_log, stderr=subprocess.STDOUT
        )
        worker = subprocess.Popen([*me, "worker"], env=env, stdout=worker_log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(url, server)
            yield LiveApp(url=url, data_dir=data_dir)
        finally:
            for process in (server, worker):
                process.terminate()
            for process in (server, worker):
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (make install installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # No sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()
