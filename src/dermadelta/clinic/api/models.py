"""API tokens: a staff member's named secret for programs that call the API.

Only the SHA-256 of the secret is stored (like a password, it cannot be read
back); the short prefix names the token in lists and audit without revealing it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the program that uses it")
    prefix = models.CharField(max_length=16, unique=True, help_text="The secret's visible start, to tell tokens apart")
    secret_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret (hex)")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.prefix}… {self.name} ({self.user}, {state})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
