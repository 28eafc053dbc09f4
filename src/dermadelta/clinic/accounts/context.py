"""Template context: the signed-in user's role and clinic, for the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dermadelta.clinic.accounts.access import actor_of


def role(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"actor": actor_of(user)}
