"""Pre-care never starts before the plan is made: it is shortened, with a note, and the session keeps its date."""

from __future__ import annotations

import datetime as dt

from dermadelta.protocol.care import CareSchedule, care_schedule
from dermadelta.protocol.plan import Plan, make_plan, parse_targets

MONDAY = dt.date(2027, 3, 1)


def plan_from(start: dt.date) -> Plan:
    return make_plan(parse_targets(["fine_lines:forehead"]), start=start, sessions=3)


def pre_care(schedule: CareSchedule, session: int) -> dict[str, tuple[dt.date, dt.date]]:
    care = schedule.sessions[session - 1]
    return {i.task_id: (i.first, i.last) for i in care.items if i.phase == "pre"}


def test_a_session_on_the_day_the_plan_is_made_keeps_only_the_pre_care_of_that_day() -> None:
    plan = plan_from(MONDAY)
    schedule = care_schedule(plan, not_before=MONDAY)

    assert schedule.sessions[0].date == MONDAY  # the session does not move
    assert pre_care(schedule, 1) == {"arrive_bare_skin": (MONDAY, MONDAY)}
    assert all(item.first >= MONDAY for item in schedule.items)
    assert len(schedule.notes) == 1
    note = schedule.notes[0]
    assert note.startswith("Session 1 on 01 Mar 2027 is too soon after the plan was made (01 Mar 2027)")
    assert "left out, as there is no time for it" in note and "stop retinoids" in note
    assert "_" not in note  # plain words, no task codes


def test_pre_care_that_has_begun_is_shortened_to_start_on_the_day_the_plan_is_made() -> None:
    plan = plan_from(MONDAY)
    made = MONDAY - dt.timedelta(days=3)
    schedule = care_schedule(plan, not_before=made)

    care = pre_care(schedule, 1)
    assert care["stop_actives"] == (made, MONDAY - dt.timedelta(days=1))  # usually 5 days before
    assert care["hydrate"] == (made, MONDAY - dt.timedelta(days=1))  # 3 days before: untouched
    assert "shortened to start on 26 Feb 2027" in schedule.notes[0]
    assert "left out" not in schedule.notes[0]


def test_later_sessions_and_plans_made_in_good_time_keep_their_full_pre_care() -> None:
    plan = plan_from(MONDAY)
    full = care_schedule(plan)
    early = care_schedule(plan, not_before=MONDAY - dt.timedelta(days=30))
    same_day = care_schedule(plan, not_before=MONDAY)

    assert early == full and early.notes == ()
    assert same_day.sessions[1:] == full.sessions[1:]


def test_a_session_already_past_when_the_plan_is_recorded_keeps_its_care() -> None:
    plan = plan_from(MONDAY)
    later = MONDAY + dt.timedelta(days=200)  # the whole course recorded afterwards

    assert care_schedule(plan, not_before=later) == care_schedule(plan)


def test_the_notes_survive_storage_and_an_older_schedule_without_notes_still_reads() -> None:
    schedule = care_schedule(plan_from(MONDAY), not_before=MONDAY)
    stored = schedule.to_dict()

    assert CareSchedule.from_dict(stored) == schedule
    older = {k: v for k, v in care_schedule(plan_from(MONDAY)).to_dict().items() if k != "notes"}
    assert "notes" not in older and CareSchedule.from_dict(older).notes == ()
