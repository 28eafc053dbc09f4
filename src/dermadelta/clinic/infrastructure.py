"""Which database, task engine and photo storage an installation runs on, from its environment.

Embedded defaults on one machine (SQLite, the database-backed worker, the local
filesystem); PostgreSQL, Redis-backed workers and S3-compatible object storage
when their variables are set. Nothing else in the code knows which one it is.
A malformed value stops start-up with the variable's name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from dermadelta.clinic.env import env_bool, env_int, env_str, private_file

#: Schemes ``DATABASE_URL`` may use, and the database each one selects.
DATABASE_SCHEMES = {"sqlite": "SQLite", "postgres": "PostgreSQL", "postgresql": "PostgreSQL"}


def database(data_dir: Path) -> dict[str, Any]:
    """``DATABASE_URL``'s database (``postgres://user:password@host:port/name``), else SQLite in the data folder."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return _sqlite(data_dir / "dermadelta.sqlite3")
    scheme = urlsplit(url).scheme
    if scheme not in DATABASE_SCHEMES:
        known = ", ".join(sorted(DATABASE_SCHEMES))
        raise ImproperlyConfigured(f"DATABASE_URL: unsupported scheme {scheme!r} (use one of {known})")
    import dj_database_url

    try:
        parsed: dict[str, Any] = dict(dj_database_url.parse(url))
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL: {error}") from None
    if parsed["ENGINE"] == "django.db.backends.sqlite3":
        return _sqlite(Path(parsed["NAME"]))
    if not parsed.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL: name the database after the host (…/dermadelta)")
    # Keep connections for a minute (gunicorn workers serve many requests) and check them before use.
    parsed["CONN_MAX_AGE"] = env_int("DERMADELTA_DB_CONN_MAX_AGE", 60, minimum=0)
    parsed["CONN_HEALTH_CHECKS"] = True
    return parsed


def _sqlite(path: Path) -> dict[str, Any]:
    if str(path) != ":memory:" and not str(path).startswith("file:"):
        # Made here, private, before SQLite creates it with the default mode; its
        # journal and write-ahead files take the database file's mode.
        private_file(path)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        # The web server and the worker write at the same time: wait for the lock
        # instead of failing, and let readers go on while one process writes.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


def redis_url() -> str:
    """``DERMADELTA_REDIS_URL`` (``redis://host:port/db``), or empty for the database-backed worker."""
    url = env_str("DERMADELTA_REDIS_URL", "").strip()
    if url and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(f"DERMADELTA_REDIS_URL: {url!r} is not a redis:// address")
    return url


def photo_storage(data_dir: Path) -> dict[str, Any]:
    """S3-compatible object storage when ``DERMADELTA_S3_BUCKET`` is set, else a private local folder.

    Credentials come from the standard ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``
    variables (or the machine's role); objects are private and never given a public URL.
    """
    bucket = env_str("DERMADELTA_S3_BUCKET", "").strip()
    if not bucket:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(data_dir / "media"),
                "base_url": "/never-served/",
                # Originals keep their EXIF (GPS, serial numbers): this account's alone.
                "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700,
            },
        }
    endpoint = env_str("DERMADELTA_S3_ENDPOINT_URL", "").strip() or None
    if endpoint:
        parts = urlsplit(endpoint)
        # A missing host ("http://", "https:///bucket") would only fail at the first upload.
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ImproperlyConfigured(
                f"DERMADELTA_S3_ENDPOINT_URL: {endpoint!r} is not an http(s) address with a host"
            )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": env_str("DERMADELTA_S3_REGION", "").strip() or None,
            "location": env_str("DERMADELTA_S3_PREFIX", "").strip("/"),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "use_ssl": env_bool("DERMADELTA_S3_SSL", True),
        },
    }
