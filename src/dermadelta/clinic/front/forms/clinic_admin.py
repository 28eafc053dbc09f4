"""Forms of the clinic admin pages: filtering the audit log."""

from __future__ import annotations

from django import forms

from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records.models import MAX_ID


class AuditFilterForm(forms.Form):
    """Every field is optional; a field that does not validate is shown with its error and not applied."""

    patient = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, label="Patient id")
    username = forms.CharField(required=False, max_length=150, strip=True, label="User name")
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *AuditAction.choices], label="Action")
