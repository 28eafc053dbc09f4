from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "dermadelta.clinic.audit"
    label = "audit"

    def ready(self) -> None:
        from dermadelta.clinic.audit import signals  # noqa: F401  (connects the receivers)
