from __future__ import annotations

from django.contrib import admin

from dermadelta.clinic.accounts.models import Clinic, Membership


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin[Clinic]):
    list_display = ["name", "time_zone", "created_at"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "clinic", "role"]
    list_filter = ["clinic", "role"]
