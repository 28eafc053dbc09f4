"""Sign-ins, failed sign-ins and held-back sign-ins (pages and API tokens) go into the audit log too.

A failed attempt that names a real account is recorded with that account and its
clinic, so the clinic admin's audit log shows who is being tried, from where.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from dermadelta.clinic.audit.log import record, security_log
from dermadelta.clinic.audit.models import AuditAction


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(request, AuditAction.SIGN_IN, user, user=user)


def _account(credentials: dict[str, Any]) -> Any:
    """The account the attempt named (a token's owner for an API token), or None."""
    from dermadelta.clinic.accounts.throttling import API_TOKEN, TOKEN_PREFIX

    name = str(credentials.get("username") or "")
    if credentials.get(API_TOKEN):
        from dermadelta.clinic.api.models import ApiToken

        prefix = TOKEN_PREFIX.search(name)
        token = ApiToken.objects.select_related("user").filter(prefix=prefix.group(0)).first() if prefix else None
        return token.user if token is not None else None
    if not name or "\x00" in name:
        return None
    return get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: name}).first()


def _detail(credentials: dict[str, Any], held_back: bool) -> str:
    from dermadelta.clinic.accounts.throttling import API_TOKEN, cool_off_minutes

    what = ""
    if credentials.get(API_TOKEN):
        what = f"{credentials.get('username')}: {credentials.get('reason', 'refused')}"
    if held_back:
        paused = f"held back for {cool_off_minutes()} minutes after too many failed attempts"
        return f"{what}; {paused}" if what else paused
    return what or "wrong user name or password"


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    from dermadelta.clinic.accounts.access import actor_of

    account = _account(credentials)
    held_back = bool(getattr(request, "axes_locked_out", False))
    entry = record(
        request,
        AuditAction.SIGN_IN_HELD_BACK if held_back else AuditAction.SIGN_IN_FAILED,
        account if account is not None else get_user_model()(),  # no row for a name that is no account
        user=account if account is not None else AnonymousUser(),  # never a session's user on the API
        username=str(credentials.get("username") or "") or "anonymous",
        clinic=actor_of(account).clinic if account is not None else None,
        detail=_detail(credentials, held_back),
    )
    if held_back:
        security_log.warning(
            "sign-in held back: %s (clinic %s) from %s", entry.username, entry.clinic_id, entry.ip_address
        )
