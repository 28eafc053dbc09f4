"""The data folder, the SQLite database and the photos are this account's alone: 0700 folders, 0600 files."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dermadelta.clinic.env import private_file, private_folder, secret_key
from dermadelta.clinic.infrastructure import database, photo_storage
from dermadelta.clinic.records import actions
from tests.clinic.photo_records import served_copies


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def lenient_umask():
    """The usual umask (022), under which files are world-readable unless created otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_data_folder_and_its_secret_key_are_private(monkeypatch, tmp_path):
    monkeypatch.delenv("DERMADELTA_SECRET_KEY", raising=False)
    data_dir = tmp_path / "clinic" / "var"

    secret_key(data_dir)

    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret_key") == 0o600


def test_an_existing_file_is_left_as_it_was(tmp_path):
    path = tmp_path / "shared.sqlite3"
    path.write_bytes(b"kept")
    path.chmod(0o640)

    assert private_file(path) == path

    assert path.read_bytes() == b"kept" and mode(path) == 0o640


def test_a_new_sqlite_database_and_its_write_ahead_files_are_private(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    data_dir = tmp_path / "var"

    name = database(data_dir)["NAME"]
    with sqlite3.connect(name) as connection:  # as Django opens it: write-ahead log on
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")
        made = sorted(p.name for p in data_dir.iterdir())
        modes = {p.name: mode(p) for p in data_dir.iterdir()}

    assert made == ["dermadelta.sqlite3", "dermadelta.sqlite3-shm", "dermadelta.sqlite3-wal"]
    assert mode(data_dir) == 0o700
    assert modes == {name: 0o600 for name in made}


def test_a_sqlite_database_named_by_its_address_is_private_too(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere/clinic.db")

    database(tmp_path)

    assert mode(tmp_path / "elsewhere") == 0o700 and mode(tmp_path / "elsewhere" / "clinic.db") == 0o600


def test_an_in_memory_database_makes_no_file(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "sqlite://:memory:")
    monkeypatch.chdir(tmp_path)

    database(tmp_path / "var")

    assert list(tmp_path.iterdir()) == []


def test_private_folder_keeps_an_existing_folder(tmp_path):
    tmp_path.chmod(0o755)
    assert private_folder(tmp_path) == tmp_path and mode(tmp_path) == 0o755


def test_an_uploaded_original_and_its_display_copy_are_private(settings, tmp_path, patient, alice, face_pair):
    settings.STORAGES = {**settings.STORAGES, "default": photo_storage(tmp_path)}

    outcome = actions.upload_photos(patient, [("face.jpg", face_pair[0])], view="front", session=None, by=alice)
    assert len(outcome.saved) == 1
    served_copies(*outcome.saved)  # the worker's first step: the copy browsers get

    media = tmp_path / "media"
    files = [p for p in media.rglob("*") if p.is_file()]
    folders = [media, *(p for p in media.rglob("*") if p.is_dir())]
    assert len(files) == 2  # the original (EXIF intact) and the copy browsers get
    assert {mode(p) for p in files} == {0o600}
    assert {mode(p) for p in folders} == {0o700}


def test_the_clinic_settings_make_a_fresh_installation_private(tmp_path):
    """The settings as ``dermadelta serve`` loads them, in a process of their own, on a new data folder."""
    data_dir = tmp_path / "var"
    script = textwrap.dedent(
        """
        import os
        os.umask(0o022)
        import django
        django.setup()
        from django.db import connection
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x)")
        """
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DERMADELTA_SECRET_KEY", "DERMADELTA_S3_BUCKET"}
    }
    env |= {"DERMADELTA_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "dermadelta.clinic.settings"}

    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)

    assert mode(data_dir) == 0o700
    assert {p.name: mode(p) for p in data_dir.iterdir() if p.is_file()} == {
        "secret_key": 0o600,
        "dermadelta.sqlite3": 0o600,
        **{p.name: 0o600 for p in data_dir.glob("dermadelta.sqlite3-*")},
    }
