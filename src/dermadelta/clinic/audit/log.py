"""Write audit entries from a request (who, from where) or from a background task."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from dermadelta.clinic.audit.models import AuditAction, AuditEntry

#: Security events (refused access, held-back sign-ins) also go to the application log, for monitoring.
security_log = logging.getLogger("dermadelta.security")


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address: the connection's, or, when that is one of the clinic's own
    proxies (``settings.TRUSTED_PROXIES``), the address that proxy was called from.

    X-Forwarded-For is read only from a trusted proxy, and from its right-hand end: each
    proxy appends the address it was called from, while anything further left came
    from the client, which can write there whatever it likes.
    """
    remote = _address(request.META.get("REMOTE_ADDR") or "") or request.META.get("REMOTE_ADDR") or None
    trusted = settings.TRUSTED_PROXIES
    if remote not in trusted:
        return remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            return remote  # a malformed entry: nothing left of it can be trusted
        if address not in trusted:
            return address
    return remote


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _text(value: str, length: int) -> str:
    # What a caller typed (a user name) may hold NUL, which PostgreSQL refuses to store.
    return value.replace("\x00", "\N{REPLACEMENT CHARACTER}")[:length]


def record(
    request: HttpRequest | None,
    action: AuditAction,
    obj: models.Model,
    *,
    patient: Any = None,
    detail: str = "",
    user: Any = None,
    username: str | None = None,
    clinic: Any = None,
) -> AuditEntry:
    """One entry for ``action`` on ``obj``; ``patient`` is the record it belongs to, if any.

    ``user`` defaults to the request's user; ``username`` names an account that did
    not sign in (a failed sign-in attempt). ``clinic`` defaults to the patient's or the object's.
    """
    who: Any = user if user is not None else (request.user if request is not None else None)
    authenticated = who is not None and who.is_authenticated
    clinic = clinic or getattr(patient, "clinic", None) or getattr(obj, "clinic", None)
    return AuditEntry.objects.create(
        user=who if authenticated else None,
        username=who.get_username() if authenticated else _text(username or "anonymous", 150),
        clinic=clinic if clinic is not None and clinic.pk else None,
        patient=patient,
        action=action,
        object_type=obj._meta.model_name or type(obj).__name__.lower(),
        object_id=str(obj.pk or ""),
        detail=_text(detail, 300),
        ip_address=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
    )


def refused(request: HttpRequest, obj: models.Model, *, patient: Any, detail: str = "") -> AuditEntry:
    """A signed-in account asked for a record it may not see: an entry in the record's clinic, and a log line.

    The entry belongs to the clinic whose record was asked for, so its admin sees who
    tried; the caller still gets the same 404 as for a record that does not exist.
    """
    entry = record(request, AuditAction.REFUSED, obj, patient=patient, detail=detail or "not this account's record")
    security_log.warning(
        "refused: %s asked for %s %s of clinic %s from %s (%s %s)",
        entry.username,
        entry.object_type,
        entry.object_id,
        entry.clinic_id,
        entry.ip_address or "an unknown address",
        request.method,
        request.path[:200],
    )
    return entry
