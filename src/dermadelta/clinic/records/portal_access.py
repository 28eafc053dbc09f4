"""A patient's access to their portal: an invitation link to set a password, and its revocation.

The clinic invites a patient from their page: the patient gets a sign-in name
(made once, from their name) and a link with a secret in it, shown once to be
printed or passed on (email is optional). Only the secret's SHA-256 is kept
(:class:`accounts.PortalInvitation`, as the calendar feed keeps its own); the
link works once, for :data:`VALID_FOR`, and a new invitation or a revocation
ends any earlier one. Revoking access also turns the account off, which signs
the patient out everywhere. Every step is audited.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from dermadelta.clinic.accounts.models import PortalInvitation
from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records.calendar_feed import SECRET_BYTES, SECRET_SHAPE, secret_hash
from dermadelta.clinic.records.models import Patient

#: How long an invitation link works.
VALID_FOR = dt.timedelta(days=7)


class AccessError(Exception):
    """The invitation cannot be made or used; the message is for the person on the page."""


def has_access(patient: Patient) -> bool:
    return patient.user is not None and patient.user.is_active and patient.user.has_usable_password()


def pending_invitation(patient: Patient) -> PortalInvitation | None:
    """The invitation whose link still works, if any."""
    return (
        patient.portal_invitations.filter(used_at=None, revoked_at=None, expires_at__gt=timezone.now())
        .order_by("-created_at")
        .first()
    )


def _sign_in_name(patient: Patient) -> str:
    """A free user name from the patient's name ("pat.doe", then "pat.doe2", ...)."""
    users = get_user_model().objects
    base = ".".join(part for part in (slugify(patient.first_name), slugify(patient.last_name)) if part)[:140]
    base = base or f"patient{patient.pk}"
    name, number = base, 1
    while users.filter(username__iexact=name).exists():
        number += 1
        name = f"{base}{number}"
    return name


def invite(patient: Patient, *, by: Any, request: HttpRequest | None = None) -> tuple[PortalInvitation, str]:
    """A new invitation (ending any earlier one) and its secret, which the caller shows once."""
    with transaction.atomic():
        current = Patient.objects.select_for_update(of=("self",)).select_related("user").get(pk=patient.pk)
        if current.user is not None and hasattr(current.user, "membership"):
            raise AccessError("This patient's login is a staff account: it cannot be used for the portal.")
        if current.user is None:
            current.user = get_user_model().objects.create_user(
                _sign_in_name(current),
                email=current.email,
                first_name=current.first_name[:150],
                last_name=current.last_name[:150],
            )  # no usable password until the link is used
            current.save(update_fields=["user"])
        now = timezone.now()
        current.portal_invitations.filter(used_at=None, revoked_at=None).update(revoked_at=now)
        secret = secrets.token_urlsafe(SECRET_BYTES)
        invitation = PortalInvitation.objects.create(
            patient=current, token_hash=secret_hash(secret), created_by=by, expires_at=now + VALID_FOR
        )
        record(request, AuditAction.CREATE, invitation, patient=current, user=by, detail="portal invitation")
    patient.user = current.user
    return invitation, secret


def invitation_for(secret: str) -> PortalInvitation:
    """The invitation ``secret`` opens, or AccessError saying in plain words why the link does not work."""
    invitation = None
    if SECRET_SHAPE.fullmatch(secret):
        digest = secret_hash(secret)
        invitation = (
            PortalInvitation.objects.select_related("patient__user", "patient__clinic")
            .filter(token_hash=digest)
            .first()
        )
        if invitation is not None and not hmac.compare_digest(invitation.token_hash, digest):
            invitation = None
    if invitation is None:
        raise AccessError("This link is not valid. Ask the clinic for a new invitation.")
    if invitation.used_at is not None:
        raise AccessError(
            "This link has already been used. Sign in with your password, or ask the clinic for a new link."
        )
    if invitation.revoked_at is not None or invitation.patient.user is None:
        raise AccessError("This link has been withdrawn by the clinic. Ask the clinic for a new invitation.")
    if invitation.expires_at <= timezone.now():
        raise AccessError("This link has expired. Ask the clinic for a new invitation.")
    return invitation


def accept(secret: str, password: str, *, request: HttpRequest | None = None) -> Any:
    """Set the patient's password through the link (once) and turn their access on; the account."""
    with transaction.atomic():
        invitation = invitation_for(secret)
        locked = PortalInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.used_at is not None or locked.revoked_at is not None:
            raise AccessError("This link has already been used. Ask the clinic for a new link.")
        user = invitation.patient.user
        assert user is not None  # invitation_for refuses a link whose patient has no account
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
        record(request, AuditAction.UPDATE, locked, patient=invitation.patient, user=user, detail="portal password set")
    return user


def revoke(patient: Patient, *, by: Any, request: HttpRequest | None = None) -> bool:
    """End the patient's portal access and any pending invitation; False (nothing written) when there was none."""
    with transaction.atomic():
        current = Patient.objects.select_for_update(of=("self",)).select_related("user").get(pk=patient.pk)
        pending = current.portal_invitations.filter(used_at=None, revoked_at=None)
        user = current.user
        active = user is not None and user.is_active and not hasattr(user, "membership")
        if not active and not pending.exists():
            return False
        pending.update(revoked_at=timezone.now())
        if active:
            assert user is not None
            user.is_active = False  # signs the patient out: sessions of inactive accounts are refused
            user.set_unusable_password()
            user.save(update_fields=["is_active", "password"])
        record(request, AuditAction.WITHDRAW, current, patient=current, user=by, detail="portal access revoked")
    return True
