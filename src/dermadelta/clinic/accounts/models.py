"""A clinic and its staff. Patients sign in through :class:`records.Patient.user`."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from dermadelta.errors import InputError
from dermadelta.protocol.calendar import time_zone


class Role(models.TextChoices):
    ADMIN = "admin", "Clinic admin"
    PRACTITIONER = "practitioner", "Practitioner"


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="Europe/London", help_text="IANA time zone, e.g. Europe/London")
    phone = models.CharField(
        max_length=40, blank=True, help_text="The number patients call with a concern; printed on their handouts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            time_zone(self.time_zone)
        except InputError as error:
            raise ValidationError({"time_zone": str(error)}) from None

    def local_time(self) -> AbstractContextManager[object]:
        """Dates and times as the clinic sees them (a photo's day and time, dates on pages and
        in reports), whatever the server's own time zone; the server's for an unreadable setting."""
        try:
            return timezone.override(time_zone(self.time_zone))
        except InputError:
            return nullcontext()


class Membership(models.Model):
    """A staff account's place in one clinic (one clinic per staff account)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PRACTITIONER)

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.clinic})"


class PortalInvitation(models.Model):
    """A one-time link for a patient to set their portal password (see ``records.portal_access``).

    Only the SHA-256 of the link's secret is kept; the link works once, until
    ``expires_at``, and not after the clinic revokes it or the patient's access.
    """

    patient = models.ForeignKey("records.Patient", on_delete=models.CASCADE, related_name="portal_invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Portal invitation for patient {self.patient_id}"
