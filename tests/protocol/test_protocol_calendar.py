"""iCalendar export: valid by RFC 5545 to icalendar and vobject, keeps wall-clock times across DST, has alarms."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from dermadelta.errors import InputError
from dermadelta.protocol.calendar import plan_calendar
from dermadelta.protocol.care import care_schedule
from dermadelta.protocol.plan import make_plan, parse_targets
from tests.calendars import parse_strictly

STAMP = dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC)
LONDON = ZoneInfo("Europe/London")


def export(start: dt.date, tz: str = "Europe/London", **options) -> icalendar.Calendar:
    plan = make_plan(parse_targets(["texture:nose"]), start=start, **options)
    return icalendar.Calendar.from_ical(plan_calendar(plan, care_schedule(plan), tz=tz, stamp=STAMP))


def sessions(calendar: icalendar.Calendar) -> list[icalendar.Event]:
    return [e for e in calendar.walk("VEVENT") if "session" in str(e["UID"])]


def test_it_round_trips_through_icalendar() -> None:
    plan = make_plan(parse_targets(["texture:nose"]), start=dt.date(2027, 3, 1))
    care = care_schedule(plan)
    raw = plan_calendar(plan, care, tz="Europe/London", stamp=STAMP)
    calendar = icalendar.Calendar.from_ical(raw)
    events = calendar.walk("VEVENT")
    assert len(events) == len(plan.sessions) + len(care.items)
    assert len({str(e["UID"]) for e in events}) == len(events)
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/London"
    assert calendar.to_ical() == raw  # parsing and writing again changes nothing


def test_the_same_plan_gives_the_same_file() -> None:
    plan = make_plan(parse_targets(["texture:nose"]), start=dt.date(2027, 3, 1))
    care = care_schedule(plan)
    assert plan_calendar(plan, care, tz="UTC", stamp=STAMP) == plan_calendar(plan, care, tz="UTC", stamp=STAMP)


def test_a_session_after_the_march_clock_change_stays_at_ten_local() -> None:
    # Europe/London moves to BST on 2027-03-28: 10:00 is 10:00 GMT before and 09:00 UTC after.
    calendar = export(dt.date(2027, 3, 1), working_days=(0,))
    starts = [e["DTSTART"].dt for e in sessions(calendar)]
    assert starts[0] == dt.datetime(2027, 3, 1, 10, tzinfo=LONDON)
    assert starts[1] == dt.datetime(2027, 3, 29, 10, tzinfo=LONDON)
    assert starts[0].astimezone(dt.UTC).hour == 10
    assert starts[1].astimezone(dt.UTC).hour == 9
    assert all(s.hour == 10 for s in starts)


def test_care_reminders_ring_at_eight_local_on_the_clock_change_day() -> None:
    # A Tuesday session on 2027-03-23: "actives may return" on day 5 is Sunday 28 March,
    # the day London moves from GMT to BST.
    calendar = export(dt.date(2027, 3, 23), working_days=(1,))
    reminders = [
        (e.decoded("DTSTART"), e.walk("VALARM")[0]["TRIGGER"].dt)
        for e in calendar.walk("VEVENT")
        if "session" not in str(e["UID"])
    ]
    for day, trigger in reminders:
        assert trigger.astimezone(LONDON) == dt.datetime.combine(day, dt.time(8), tzinfo=LONDON)
    on_change_day = [t for day, t in reminders if day == dt.date(2027, 3, 28)]
    assert on_change_day and on_change_day[0] == dt.datetime(2027, 3, 28, 7, tzinfo=dt.UTC)


def test_sessions_have_a_day_before_and_two_hour_reminder() -> None:
    event = sessions(export(dt.date(2027, 3, 1)))[0]
    assert sorted(a["TRIGGER"].dt for a in event.walk("VALARM")) == [
        -dt.timedelta(days=1),
        -dt.timedelta(hours=2),
    ]


def test_all_day_care_events_end_the_day_after_their_last_day() -> None:
    calendar = export(dt.date(2027, 3, 1))
    spf = next(e for e in calendar.walk("VEVENT") if str(e["UID"]).endswith("s1-mineral_spf@dermadelta"))
    assert spf.decoded("DTSTART") == dt.date(2027, 3, 2)
    assert spf.decoded("DTEND") == dt.date(2027, 3, 16)


def test_care_events_are_grouped_under_names_a_patient_reads() -> None:
    """Calendar apps show an event's categories: the phase in words, not its code."""
    calendar = export(dt.date(2025, 3, 3))
    care = [event for event in calendar.walk("VEVENT") if "CATEGORIES" in event]
    shown = {str(name) for event in care for name in event["CATEGORIES"].cats}

    assert len(care) == len(calendar.walk("VEVENT")) - len(sessions(calendar))
    assert shown == {"Before the session", "What to expect", "Aftercare"}


def test_a_session_in_another_time_zone_keeps_its_local_time() -> None:
    event = sessions(export(dt.date(2027, 3, 1), tz="America/New_York"))[2]
    assert event["DTSTART"].dt.hour == 10
    assert event["DTSTART"].params["TZID"] == "America/New_York"


def test_it_refuses_unknown_time_zones_and_naive_stamps() -> None:
    plan = make_plan(parse_targets(["texture:nose"]), start=dt.date(2027, 3, 1))
    care = care_schedule(plan)
    with pytest.raises(InputError, match="unknown time zone"):
        plan_calendar(plan, care, tz="Mars/Olympus", stamp=STAMP)
    with pytest.raises(InputError, match="unknown time zone"):
        plan_calendar(plan, care, tz="../../etc/passwd", stamp=STAMP)
    with pytest.raises(InputError, match="timezone-aware"):
        plan_calendar(plan, care, tz="UTC", stamp=dt.datetime(2027, 1, 1))


@settings(max_examples=15, deadline=None)
@given(
    tz=st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]),
    start=st.dates(dt.date(2026, 1, 1), dt.date(2045, 12, 31)),
)
def test_every_session_starts_at_ten_local_in_any_zone_and_season(tz: str, start: dt.date) -> None:
    zone = ZoneInfo(tz)
    calendar = export(start, tz=tz)
    described = calendar.walk("VTIMEZONE")  # none for UTC: times are written with Z
    written = described[0].to_tz() if described else dt.UTC
    for event in sessions(calendar):
        begins = event["DTSTART"].dt
        assert begins.tzinfo is not None
        assert begins.astimezone(zone).time() == dt.time(10, 0)
        assert begins.astimezone(zone).date() >= start
        # A client that trusts the file's VTIMEZONE gets the same instant as the zone database.
        assert begins.replace(tzinfo=written).utcoffset() == begins.utcoffset()


# --- valid by RFC 5545, as other software reads it ---------------------------------------------------------


def raw_export(start: dt.date, tz: str = "Europe/London", targets: tuple[str, ...] = ("texture:nose",)) -> bytes:
    plan = make_plan(parse_targets(list(targets)), start=start)
    return plan_calendar(plan, care_schedule(plan), tz=tz, stamp=STAMP)


def test_every_absolute_reminder_says_it_is_a_date_and_time() -> None:
    # RFC 5545, 3.8.6.3: a TRIGGER is a duration unless VALUE=DATE-TIME says otherwise.
    raw = raw_export(dt.date(2027, 3, 1))
    triggers = [line for line in raw.decode().splitlines() if line.startswith("TRIGGER")]
    absolute = [line for line in triggers if not line.startswith("TRIGGER:-P")]

    care_tasks = [e for e in icalendar.Calendar.from_ical(raw).walk("VEVENT") if "-session-" not in str(e["UID"])]
    assert len(absolute) == len(care_tasks) > 0  # a reminder on the morning of each care task
    assert all(re.fullmatch(r"TRIGGER;VALUE=DATE-TIME:\d{8}T\d{6}Z", line) for line in absolute), absolute


@pytest.mark.parametrize("tz", ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"])
def test_icalendar_and_vobject_read_it_without_a_complaint(tz: str) -> None:
    raw = raw_export(dt.date(2027, 3, 23), tz, ("acne_scars_rolling:left_cheek,right_cheek", "fine_lines:forehead"))

    calendar = parse_strictly(raw)

    assert len(calendar.walk("VEVENT")) > 3


def test_vobject_reads_the_same_reminders_as_icalendar() -> None:
    raw = raw_export(dt.date(2027, 3, 23))

    by_icalendar = [
        (str(event["UID"]), alarm.decoded("TRIGGER"))
        for event in parse_strictly(raw).walk("VEVENT")
        for alarm in event.walk("VALARM")
    ]
    by_vobject = [
        (event.uid.value, alarm.trigger.value)
        for event in vobject.readOne(raw.decode()).vevent_list
        for alarm in event.valarm_list
    ]

    assert by_vobject == by_icalendar  # the same instants and durations, in the same order
    assert {type(when) for _, when in by_vobject} == {dt.datetime, dt.timedelta}


def test_the_parser_check_catches_a_reminder_without_its_value_type() -> None:
    # What the file said before it followed 3.8.6.3: vobject guesses, and says so.
    raw = raw_export(dt.date(2027, 3, 1)).replace(b"TRIGGER;VALUE=DATE-TIME:", b"TRIGGER:")

    with pytest.raises(AssertionError, match="TRIGGER not recognized as DURATION"):
        parse_strictly(raw)
