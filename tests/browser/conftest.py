"""The real application for browser tests: web server and worker as separate processes.

A fresh data folder (SQLite database, photo storage) per test session; the
server and the database worker run exactly as ``make run`` starts them, and
headless Chromium (Debian's package) is driven by Playwright.

When ``DATABASE_URL`` names a PostgreSQL server (``make test-postgres``), the
application gets a database of its own on that server for the session, created
and dropped here: the browser tests then drive the web server and the worker
sharing PostgreSQL, as a multi-user clinic runs them, and never migrate the
database the URL names.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    env: dict[str, str]  # the application's environment, to prepare records with ``manage shell``


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "dermadelta.cli", "manage", *args], env=env, check=True, timeout=300)


@contextmanager
def _database_of_its_own() -> Iterator[dict[str, str]]:
    """The ``DATABASE_URL`` the application gets: a new PostgreSQL database, or none (SQLite in its data folder)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        yield {}  # SQLite, or no URL: the fresh data folder holds the database
        return
    import psycopg

    name = f"dermadelta_browser_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as server:
        server.execute(f"CREATE DATABASE {name}")
    try:
        yield {"DATABASE_URL": urlsplit(url)._replace(path=f"/{name}").geturl()}
    finally:
        with psycopg.connect(url, autocommit=True) as server:
            server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    data_dir = tmp_path_factory.mktemp("clinic-data")
    with _database_of_its_own() as database:
        env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            **database,
            "DERMADELTA_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "dermadelta.clinic.settings",
        }
        _manage(env, "migrate", "--no-input", "-v", "0")
        _manage(env, "collectstatic", "--no-input", "-v", "0")
        _manage(env, "shell", "-c", CLINIC_SETUP.format(username=PRACTITIONER[0], password=PRACTITIONER[1]))
        logs = data_dir / "logs"
        logs.mkdir()
        with web_and_worker("127.0.0.1", free_port(), web_workers=1, env=env, log_dir=logs) as running:
            yield LiveApp(url=running.url, data_dir=data_dir, env=env)


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


def sign_in(page: Any, app: LiveApp, username: str = PRACTITIONER[0], password: str = PRACTITIONER[1]) -> None:
    """Sign in through the sign-in page (the practitioner by default) and wait for the page it leads to."""
    page.goto(f"{app.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    page.wait_for_load_state()


def prepare(app: LiveApp, code: str) -> list[int]:
    """Run ``code`` in the application's ``manage shell`` (records made with its own actions); the
    numbers it prints last, such as the ids it made."""
    done = subprocess.run(
        [sys.executable, "-m", "dermadelta.cli", "manage", "shell", "-c", code],
        env=app.env,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    )
    return [int(part) for part in done.stdout.strip().splitlines()[-1].split()]
