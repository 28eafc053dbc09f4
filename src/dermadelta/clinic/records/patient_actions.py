"""Changes to a patient's own details (name, date of birth, contact, skin type, notes), audited.

Kept apart from :mod:`dermadelta.clinic.records.actions` in the same style: one
function per change, validated by ``Patient.clean()``, used by the web views and
the API alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records.actions import ActionError
from dermadelta.clinic.records.models import Patient

#: The details staff may change; the clinic, the login and the demo flag are not among them.
EDITABLE = ("first_name", "last_name", "date_of_birth", "email", "phone", "fitzpatrick", "notes")


def update_patient(
    patient: Patient, fields: Mapping[str, Any], *, by: Any, request: HttpRequest | None = None
) -> Patient:
    """Change the patient's details; the audit entry names the fields that changed (never their values).

    Nothing changed (once ``Patient.clean()`` has tidied the names) means nothing
    written. A field outside :data:`EDITABLE` is refused.
    """
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ActionError(f"These details cannot be changed here: {', '.join(unknown)}.")
    with transaction.atomic():
        current = Patient.objects.select_for_update().get(pk=patient.pk)
        before = {name: getattr(current, name) for name in fields}
        for name, value in fields.items():
            setattr(current, name, value)
        current.full_clean(exclude=["user"])  # also tidies the names, so compare after it
        changed = [name for name in fields if getattr(current, name) != before[name]]
        if not changed:
            return current
        current.save(update_fields=changed)
        record(request, AuditAction.UPDATE, current, patient=current, user=by, detail=", ".join(changed))
    return current
