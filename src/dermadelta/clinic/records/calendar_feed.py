"""A patient's calendar feed: an iCalendar address with a secret in it, for a calendar app to subscribe to.

The secret is shown once, when the feed is created; only its SHA-256 is kept
(:attr:`Patient.calendar_feed_hash`), so a copy of the database does not give
anyone the address. Creating a feed again replaces the hash, so the old address
stops working at once; revoking clears it. Whoever holds the address can read
the feed without signing in, which is what calendar apps need; every read is
audited under the name :data:`FEED_USERNAME`.

The feed is the active plan's calendar as the plan page's download gives it
(:func:`dermadelta.clinic.records.care.calendar_ics`: sessions with reminders,
care tasks), plus the sessions charted on a day the active plan has no session
for (earlier plans, a session moved), as all-day events. It names no one and
says nothing the patient handout does not. With nothing to show yet it still
holds one component, the clinic's time zone, as RFC 5545 asks of every calendar.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Any

import icalendar
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records.actions import active_plan
from dermadelta.clinic.records.care import calendar_ics
from dermadelta.clinic.records.models import Patient
from dermadelta.clinic.records.schedule import planned_sessions
from dermadelta.protocol.calendar import new_calendar, time_zone

#: How many random bytes the secret carries (256 bits; 43 characters in URL-safe base64).
SECRET_BYTES = 32
#: What a secret made by :func:`create_feed` looks like; anything else is not looked up.
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
#: The name audit entries of feed reads carry (no one signs in to read a feed).
FEED_USERNAME = "calendar-feed"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def has_feed(patient: Patient) -> bool:
    return bool(patient.calendar_feed_hash)


def create_feed(patient: Patient, *, by: Any, request: HttpRequest | None = None) -> str:
    """A new secret for ``patient``'s feed (replacing any earlier one); the caller shows it once."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    with transaction.atomic():
        current = Patient.objects.select_for_update().get(pk=patient.pk)
        renewed = has_feed(current)
        current.calendar_feed_hash = secret_hash(secret)
        current.save(update_fields=["calendar_feed_hash"])
        action, detail = (
            (AuditAction.UPDATE, "calendar feed renewed") if renewed else (AuditAction.CREATE, "calendar feed")
        )
        record(request, action, current, patient=current, user=by, detail=detail)
    patient.calendar_feed_hash = current.calendar_feed_hash
    return secret


def revoke_feed(patient: Patient, *, by: Any, request: HttpRequest | None = None) -> bool:
    """Stop ``patient``'s feed; False (and nothing written) when there was none."""
    with transaction.atomic():
        current = Patient.objects.select_for_update().get(pk=patient.pk)
        if not has_feed(current):
            return False
        current.calendar_feed_hash = ""
        current.save(update_fields=["calendar_feed_hash"])
        record(request, AuditAction.WITHDRAW, current, patient=current, user=by, detail="calendar feed revoked")
    patient.calendar_feed_hash = ""
    return True


def patient_for_secret(secret: str) -> Patient | None:
    """The patient whose feed ``secret`` opens, or None for any other string."""
    if not SECRET_SHAPE.fullmatch(secret):
        return None
    digest = secret_hash(secret)
    # The index is searched by the hash, whose bytes a caller cannot steer without a
    # preimage of SHA-256, so the look-up's timing tells nothing about a stored secret;
    # the final comparison is constant-time all the same.
    patient = Patient.objects.select_related("clinic").filter(calendar_feed_hash=digest).first()
    if patient is None or not hmac.compare_digest(patient.calendar_feed_hash, digest):
        return None
    return patient


def feed_calendar(patient: Patient) -> bytes:
    """The feed's iCalendar file; ActionError when the active plan can no longer be rebuilt."""
    plan = active_plan(patient)
    if plan is not None:
        calendar = icalendar.Calendar.from_ical(calendar_ics(plan))
        planned = {(row.number, row.date) for row in planned_sessions(plan)}
    else:
        calendar = new_calendar()
        planned = set()
    for session in patient.sessions.order_by("on", "number", "pk"):
        if session.plan_id == getattr(plan, "pk", None) and (session.number, session.on) in planned:
            continue  # the plan's own event already shows it on that day
        event = icalendar.Event()
        event.add("uid", f"charted-session-{session.pk}@dermadelta")
        event.add("dtstamp", session.created_at.astimezone(dt.UTC))  # RFC 5545 wants DTSTAMP in UTC
        event.add("dtstart", session.on)
        event.add("summary", f"Microneedling session {session.number} (done)")
        event.add("location", patient.clinic.name)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    if not calendar.subcomponents:
        # RFC 5545 (3.6) wants a component in every calendar: with nothing to show yet, the
        # feed carries the clinic's time zone, which says nothing about the patient.
        today = timezone.localdate()
        calendar.add_component(
            icalendar.Timezone.from_tzinfo(
                time_zone(patient.clinic.time_zone), first_date=today, last_date=today + dt.timedelta(days=366)
            )
        )
    return bytes(calendar.to_ical())


def record_read(request: HttpRequest, patient: Patient) -> None:
    """Audit one read of the feed: no account, whoever may be signed in to the browser that fetched it."""
    record(
        request,
        AuditAction.DOWNLOAD,
        patient,
        patient=patient,
        user=AnonymousUser(),
        username=FEED_USERNAME,
        detail="calendar feed",
    )
