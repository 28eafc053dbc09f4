"""Audit entries: who did what to which record, when, and from where. Never edited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class AuditAction(models.TextChoices):
    VIEW = "view", "viewed"
    CREATE = "create", "created"
    UPDATE = "update", "changed"
    DOWNLOAD = "download", "downloaded"
    WITHDRAW = "withdraw", "withdrew"
    RETRY = "retry", "retried"
    SIGN_IN = "sign_in", "signed in"
    SIGN_IN_FAILED = "sign_in_failed", "failed to sign in"
    SIGN_IN_HELD_BACK = "sign_in_held_back", "was held back from signing in"
    REFUSED = "refused", "was refused"


class AppendOnlyError(RuntimeError):
    pass


UNLINKABLE = frozenset({"user", "clinic", "patient"})


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def of_clinic(self, clinic: Any) -> AuditQuerySet:
        """The clinic's entries: about its records, and its own staff's and patients' about no clinic (sign-ins).

        An entry about another clinic's records never shows, whoever wrote it.
        """
        own_people = Q(user__membership__clinic=clinic) | Q(user__patient__clinic=clinic)
        return self.filter(Q(clinic=clinic) | (Q(clinic__isnull=True) & own_people))

    # Bulk changes would bypass the model's own guards below. The one exception is
    # unlinking a deleted account or record (on_delete=SET_NULL); the entry keeps its text.
    def update(self, **kwargs: Any) -> int:
        if kwargs and all(name in UNLINKABLE and value is None for name, value in kwargs.items()):
            return super().update(**kwargs)
        raise AppendOnlyError("audit entries cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit entries cannot be deleted")


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

    objects = AuditQuerySet.as_manager()

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
