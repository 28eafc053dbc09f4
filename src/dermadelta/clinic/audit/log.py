"""Write audit entries from a request (who, from where) or from a background task."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from dermadelta.clinic.audit.models import AuditAction, AuditEntry


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: a client can forge X-Forwarded-For. A deployment behind a
    # proxy sets the real address there (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR") or None


def record(
    request: HttpRequest | None,
    action: AuditAction,
    obj: models.Model,
    *,
    patient: Any = None,
    detail: str = "",
    user: Any = None,
    username: str | None = None,
) -> AuditEntry:
    """One entry for ``action`` on ``obj``; ``patient`` is the record it belongs to, if any.

    ``user`` defaults to the request's user; ``username`` names an account that did
    not sign in (a failed sign-in attempt).
    """
    who: Any = user if user is not None else (request.user if request is not None else None)
    authenticated = who is not None and who.is_authenticated
    clinic = getattr(patient, "clinic", None) or getattr(obj, "clinic", None)
    return AuditEntry.objects.create(
        user=who if authenticated else None,
        username=who.get_username() if authenticated else (username or "anonymous")[:150],
        clinic=clinic if clinic is not None and clinic.pk else None,
        patient=patient,
        action=action,
        object_type=obj._meta.model_name or type(obj).__name__.lower(),
        object_id=str(obj.pk or ""),
        detail=detail[:300],
        ip_address=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
    )
