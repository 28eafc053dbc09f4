"""Every calendar the clinic gives out is accepted by a real CalDAV server (Radicale, started here on 127.0.0.1):
each event is stored as a resource of its own and read back as it was sent."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from dermadelta.clinic.records import actions
from dermadelta.clinic.records.models import Patient, TreatmentPlan
from tests.calendars import Radicale, by_uid, parse_strictly, store_on
from tests.clinic.conftest import CLOCK_CHANGE_START

TODAY = CLOCK_CHANGE_START
ADDRESS = re.compile(r'value="http://testserver(/calendar/[^"]+\.ics)"')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    with Radicale(tmp_path_factory.mktemp("radicale")) as running:
        yield running


@pytest.fixture
def plan(clock_change_plan: TreatmentPlan) -> TreatmentPlan:
    return clock_change_plan


def feed_address(client: Client, patient: Patient) -> str:
    match = ADDRESS.search(client.post(reverse("patient_calendar_feed", args=[patient.pk])).content.decode())
    assert match, "the page shows no feed address"
    return match.group(1)


def absolute_triggers(resource: bytes) -> list[str]:
    return [line for line in resource.decode().splitlines() if line.startswith("TRIGGER;")]


def test_the_plans_calendar_file_is_stored_event_by_event(server, as_alice, plan):
    data = as_alice.get(f"/plans/{plan.pk}/calendar.ics").content
    events = parse_strictly(data).walk("VEVENT")

    stored = store_on(server, data, calendar=f"plan-{plan.pk}")

    assert sorted(stored) == sorted(str(e["UID"]) for e in events)
    back = [icalendar.Calendar.from_ical(resource) for resource in stored.values()]
    assert all(len(calendar.walk("VEVENT")) == 1 for calendar in back)
    sessions = [c for c in back if "-session-" in str(c.walk("VEVENT")[0]["UID"])]
    assert len(sessions) == 5
    assert {c.walk("VEVENT")[0]["DTSTART"].params["TZID"] for c in sessions} == {"Europe/London"}
    assert all(c.walk("VTIMEZONE") for c in sessions)  # each timed event keeps its time zone
    # The server keeps each care reminder's time as a date and time, not a duration.
    care = [resource for uid, resource in stored.items() if "-session-" not in uid]
    assert care and all(
        re.fullmatch(r"TRIGGER;VALUE=DATE-TIME:\d{8}T\d{6}Z", line)
        for resource in care
        for line in absolute_triggers(resource)
    )


def test_the_subscription_feed_is_stored_event_by_event(server, as_alice, patient, alice, plan):
    moved = actions.chart_session(
        patient, {"on": TODAY + dt.timedelta(days=2), "number": 1, "depths": {"left_cheek": 1.0}}, by=alice
    )
    data = Client().get(feed_address(as_alice, patient)).content
    parse_strictly(data)

    stored = store_on(server, data, calendar=f"feed-{patient.pk}")

    charted = stored[f"charted-session-{moved.pk}@dermadelta"]
    event = icalendar.Calendar.from_ical(charted).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == TODAY + dt.timedelta(days=2)
    assert str(event["SUMMARY"]) == "Microneedling session 1 (done)"
    assert len(stored) == len(by_uid(as_alice.get(f"/plans/{plan.pk}/calendar.ics").content)) + 1


def test_a_feed_of_charted_sessions_only_is_stored_too(server, as_alice, patient, alice):
    actions.chart_session(patient, {"on": TODAY, "number": 1, "depths": {"chin": 1.0}}, by=alice)
    data = Client().get(feed_address(as_alice, patient)).content
    parse_strictly(data)

    stored = store_on(server, data, calendar=f"charted-{patient.pk}")

    assert len(stored) == 1


def event(uid: bytes, day: bytes) -> bytes:
    return (
        b"BEGIN:VEVENT\r\nUID:" + uid + b"\r\nDTSTAMP:20250101T000000Z\r\nDTSTART;VALUE=DATE:" + day + b"\r\n"
        b"SUMMARY:test\r\nEND:VEVENT\r\n"
    )


def calendar_of(*events: bytes) -> bytes:
    return b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + b"".join(events) + b"END:VCALENDAR\r\n"


def test_the_server_refuses_what_the_check_must_not_pass(server):
    # One resource holds one event: two UIDs in one PUT are refused, hence the split by UID.
    collection = server.new_calendar("refusals")
    two = calendar_of(event(b"one@test", b"20250101"), event(b"two@test", b"20250102"))
    assert server.request("PUT", f"{collection}two.ics", two)[0] == 400
    assert store_on(server, two, calendar="split")  # split, the same file is accepted

    # Two events sharing a UID (without RECURRENCE-ID) are one resource the server refuses: the check fails.
    same = calendar_of(event(b"same@test", b"20250101"), event(b"same@test", b"20250102"))
    with pytest.raises(AssertionError, match="400"):
        store_on(server, same, calendar="same-uid")
