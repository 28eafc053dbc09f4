"""Typed settings from environment variables that fail loudly on a bad value."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_addresses(name: str) -> frozenset[str]:
    """IP addresses, comma-separated, each written as Python writes it (so that they compare)."""
    addresses = set()
    for item in env_list(name, []):
        try:
            addresses.add(str(ipaddress.ip_address(item)))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address") from None
    return frozenset(addresses)


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    return Path(raw).expanduser().resolve() if raw else default


def private_folder(path: Path) -> Path:
    """``path``, created as a folder only this account can enter (0700) when it is new.

    The data folder holds patients' photos (with their GPS positions and camera serial
    numbers) and, on SQLite, the whole database: no other account on the machine reads them.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """``path``, created empty and readable by this account only (0600) when it is new; its folder likewise."""
    private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    return path


def secret_key(data_dir: Path) -> str:
    """``DERMADELTA_SECRET_KEY``, or a random key kept in the data folder (created on first use).

    One machine on embedded defaults needs no configuration, and the key survives
    restarts so that sessions do; a deployment sets the variable.
    """
    from_env = os.environ.get("DERMADELTA_SECRET_KEY")
    if from_env:
        if len(from_env) < 32:
            raise ImproperlyConfigured("DERMADELTA_SECRET_KEY must be at least 32 characters")
        return from_env
    path = data_dir / "secret_key"
    if not path.exists():
        from django.utils.crypto import get_random_string

        private_folder(data_dir)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process (the worker, the server) made it first
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(get_random_string(64))
    return path.read_text().strip()
