"""Audit entries: who did what to which record, when, and from where. Never edited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    VIEW = "view", "viewed"
    CREATE = "create", "created"
    UPDATE = "update", "changed"
    DOWNLOAD = "download", "downloaded"
    WITHDRAW = "withdraw", "withdrew"
    RETRY = "retry", "retried"
    SIGN_IN = "sign_in", "signed in"
    SIGN_IN_FAILED = "sign_in_failed", "failed to sign in"


class AppendOnlyError(RuntimeError):
    pass


class AuditEntry(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The account may be deleted later; the entry keeps its name.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150)
    clinic = models.ForeignKey("accounts.Clinic", null=True, on_delete=models.SET_NULL, related_name="+")
    patient = models.ForeignKey("records.Patient", null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()} {self.object_type} {self.object_id}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit entries cannot be deleted")
