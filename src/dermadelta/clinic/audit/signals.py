"""Sign-ins and failed sign-ins go into the audit log too."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AuditAction


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(request, AuditAction.SIGN_IN, user, user=user)


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    from django.contrib.auth import get_user_model

    # The object is the account class, not a row: a failed attempt may name no real account.
    record(
        request,
        AuditAction.SIGN_IN_FAILED,
        get_user_model()(),
        username=str(credentials.get("username", "")) or "anonymous",
    )
