"""Issue, find and revoke API tokens. The secret is shown once, at creation, and never stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from dermadelta.clinic.api.models import ApiToken

#: Every secret starts with this, so a leaked one is easy to recognise (e.g. by secret scanners).
SCHEME = "dd"
#: How stale ``last_used_at`` may get before a request writes it again (one write per minute, not per call).
USE_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Issued:
    token: ApiToken
    secret: str  # shown once to whoever created the token


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def issue(user: Any, name: str) -> Issued:
    """A new token for ``user``: ``dd_<prefix>_<random>``, of which only the prefix and the hash are kept."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("give the token a name (what it is for)")
    with transaction.atomic():
        while True:
            prefix = f"{SCHEME}_{secrets.token_hex(4)}"
            if not ApiToken.objects.filter(prefix=prefix).exists():
                break
        secret = f"{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(user=user, name=name[:100], prefix=prefix, secret_hash=hash_secret(secret))
    return Issued(token, secret)


def find(secret: str) -> ApiToken | None:
    """The token this secret belongs to (revoked or not), or None."""
    if not secret or len(secret) > 200:
        return None
    return ApiToken.objects.select_related("user").filter(secret_hash=hash_secret(secret)).first()


def note_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def revoke(prefix: str) -> ApiToken:
    """Revoke the token with this prefix at once (already revoked: unchanged). Unknown: ApiToken.DoesNotExist."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(prefix=prefix)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token
