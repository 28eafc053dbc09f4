"""iCalendar (RFC 5545) export of a plan's sessions and care reminders.

Sessions are timed events in the clinic's time zone (``TZID`` with a
``VTIMEZONE``), so a 10:00 appointment stays at 10:00 on the wall clock across a
daylight-saving change. Care tasks are all-day events; their reminders are
absolute UTC triggers computed from the local reminder time on that very day,
because a relative "8 hours after midnight" drifts by an hour on DST days;
they say ``VALUE=DATE-TIME``, as RFC 5545 (3.8.6.3) requires of a trigger that is
not a duration. Built with the ``icalendar`` package; the tests read every file
with ``icalendar`` and ``vobject`` and store it on a CalDAV server (Radicale).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dermadelta.errors import InputError
from dermadelta.protocol.care import PHASE_LABELS, CareSchedule
from dermadelta.protocol.plan import Plan
from dermadelta.protocol.rulebook import RuleBook, load_rulebook

if TYPE_CHECKING:
    import icalendar

PRODID = "-//dermadelta//treatment plan//EN"


def time_zone(name: str) -> ZoneInfo:
    """An IANA time zone, or InputError naming the unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r} (use an IANA name like Europe/London)") from None


def local_time(day: dt.date, hhmm: str, zone: ZoneInfo) -> dt.datetime:
    """The aware datetime of wall-clock ``hhmm`` on ``day`` in ``zone``."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def new_calendar() -> icalendar.Calendar:
    """An empty calendar with the properties every calendar of a treatment plan carries."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Microneedling treatment plan")
    return calendar


def plan_calendar(
    plan: Plan,
    care: CareSchedule,
    *,
    tz: str,
    stamp: dt.datetime,
    clinic: str = "the clinic",
    rules: RuleBook | None = None,
) -> bytes:
    """The plan as an ``.ics`` file: sessions with reminders, and care tasks.

    ``stamp`` (an aware datetime) is the DTSTAMP of every component, passed in so
    that the same plan always gives the same file.
    """
    import icalendar  # imported here: only calendar exports pay for it

    if stamp.tzinfo is None:
        raise InputError("the calendar stamp must be timezone-aware")
    book = rules or load_rulebook()
    zone = time_zone(tz)
    timing = plan.timing or book.session  # as the plan was made, when it recorded it
    key = hashlib.sha256(json.dumps(plan.to_dict(), sort_keys=True).encode()).hexdigest()[:12]
    utc_stamp = stamp.astimezone(dt.UTC)

    calendar = new_calendar()
    for session in plan.sessions:
        start = local_time(session.date, timing.start_time, zone)
        event = icalendar.Event()
        event.add("uid", f"{key}-session-{session.number}@dermadelta")
        event.add("dtstamp", utc_stamp)
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(minutes=timing.numbing_minutes + timing.treatment_minutes))
        event.add("summary", f"Microneedling session {session.number} of {len(plan.sessions)}")
        event.add("location", clinic)
        depths = ", ".join(f"{book.zone_label(d.zone).lower()} {d.depth_mm} mm" for d in session.depths)
        event.add(
            "description",
            f"Numbing cream {timing.numbing_minutes} min, then treatment. Depths: {depths}. Arrive without make-up.",
        )
        for before, text in (
            (dt.timedelta(days=1), "tomorrow"),
            (dt.timedelta(hours=2), "in 2 hours"),
        ):
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Microneedling session {text}")
            alarm.add("trigger", -before)
            event.add_component(alarm)
        calendar.add_component(event)
    for item in care.items:
        event = icalendar.Event()
        event.add("uid", f"{key}-s{item.session}-{item.task_id}@dermadelta")
        event.add("dtstamp", utc_stamp)
        event.add("dtstart", item.first)
        event.add("dtend", item.last + dt.timedelta(days=1))  # DTEND of a date is exclusive
        event.add("summary", item.title)
        event.add("description", f"{item.detail} (session {item.session})")
        # Calendar apps show categories to the patient: plain words, not the phase's code.
        event.add("categories", [PHASE_LABELS[item.phase]])
        event.add("transp", "TRANSPARENT")
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.title)
        # An absolute trigger must say VALUE=DATE-TIME (RFC 5545, 3.8.6.3): a reader assumes a duration otherwise.
        alarm.add(
            "trigger",
            local_time(item.first, timing.reminder_time, zone).astimezone(dt.UTC),
            parameters={"VALUE": "DATE-TIME"},
        )
        event.add_component(alarm)
        calendar.add_component(event)
    # Only the years the plan spans: keeps the VTIMEZONE short and valid past 2038.
    first = min(i.first for i in care.items) if care.items else plan.sessions[0].date
    calendar.add_missing_timezones(
        first_date=first - dt.timedelta(days=1),
        last_date=plan.sessions[-1].date + dt.timedelta(days=366),
    )
    return bytes(calendar.to_ical())
