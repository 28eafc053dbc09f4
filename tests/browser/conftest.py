"""The real application for browser tests: web server and worker as separate processes.

A fresh data folder (SQLite database, photo storage) per test session; the
server and the database worker run exactly as ``make run`` starts them, and
headless Chromium (Debian's package) is driven by Playwright.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dermadelta.clinic.running import free_port, web_and_worker

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


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "dermadelta.cli", "manage", *args], env=env, check=True, timeout=300)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    data_dir = tmp_path_factory.mktemp("clinic-data")
    env = {**os.environ, "DERMADELTA_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "dermadelta.clinic.settings"}
    _manage(env, "migrate", "--no-input", "-v", "0")
    _manage(env, "collectstatic", "--no-input", "-v", "0")
    _manage(env, "shell", "-c", CLINIC_SETUP.format(username=PRACTITIONER[0], password=PRACTITIONER[1]))
    logs = data_dir / "logs"
    logs.mkdir()
    with web_and_worker("127.0.0.1", free_port(), web_workers=1, env=env, log_dir=logs) as running:
        yield LiveApp(url=running.url, data_dir=data_dir)


# Per module, not per session: Playwright's driver keeps an event loop running in
# this thread, and Django refuses database work beside one (SynchronousOnlyOperation)
# in any test this worker runs later.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (make install installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # No sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()
