from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dermadelta.clinic.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only: the log is evidence, so nobody edits or deletes it from the app."""

    list_display = ["at", "username", "action", "object_type", "object_id", "patient", "ip_address"]
    list_filter = ["action", "object_type", "clinic"]
    search_fields = ["username", "object_id", "detail"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
