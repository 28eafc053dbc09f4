"""A charted session against its plan (protocol.charting), and a stored plan read back (Plan.from_dict)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from dermadelta.errors import InputError
from dermadelta.protocol.care import CareSchedule, care_schedule
from dermadelta.protocol.charting import CODES, session_deviations
from dermadelta.protocol.plan import Plan, make_plan, parse_targets
from dermadelta.protocol.plan_diff import plan_changes
from dermadelta.protocol.rulebook import load_rulebook

START = dt.date(2027, 1, 11)  # a Monday


@pytest.fixture(scope="module")
def plan() -> Plan:
    """Rolling acne scars on both cheeks: 4 sessions 28 days apart, 1.5 mm rising to 2.0 mm."""
    return make_plan(parse_targets(["acne_scars_rolling:left_cheek,right_cheek"]), start=START)


def check(plan: Plan, **changes: Any) -> list[tuple[str, str]]:
    asked: dict[str, Any] = {
        "number": 2,
        "on": plan.sessions[1].date,
        "depths": {"left_cheek": 1.75, "right_cheek": 1.75},
        "screened_zones": ("left_cheek", "right_cheek", "forehead"),
        "other_sessions": [(1, START)],
        **changes,
    }
    return [(d.code, d.field) for d in session_deviations(plan, **asked)]


# --- deviations -----------------------------------------------------------------------------------------


def test_a_session_as_planned_keeps_the_plan(plan):
    assert check(plan) == []
    assert check(plan, depths={"left_cheek": 1.5}) == []  # shallower, or fewer zones, is within the plan


def test_a_session_the_same_day_as_the_last_is_too_soon(plan):
    deviations = session_deviations(
        plan, number=2, on=START, depths={"left_cheek": 1.5}, screened_zones=["left_cheek"], other_sessions=[(1, START)]
    )

    assert [d.code for d in deviations] == ["too_soon"]
    assert deviations[0].message == (
        "Session 1 was charted on 11 Jan 2027, the same day: the plan keeps sessions at least 28 days apart "
        "so the skin heals in between."
    )


def test_the_interval_holds_both_ways_and_to_the_day(plan):
    assert check(plan, on=START + dt.timedelta(days=27)) == [("too_soon", "on")]
    assert check(plan, on=START + dt.timedelta(days=28)) == []
    # Charted late for an earlier date: too close to a later session too.
    later = [(1, START), (3, START + dt.timedelta(days=60))]
    assert check(plan, on=START + dt.timedelta(days=40), other_sessions=later) == [("too_soon", "on")]


def test_a_session_before_the_plan_allows_is_outside_it(plan):
    assert check(plan, on=START - dt.timedelta(days=1), other_sessions=[]) == [("before_plan_start", "on")]


def test_zones_not_screened_or_not_planned_are_named_in_words(plan):
    deviations = session_deviations(
        plan,
        number=2,
        on=plan.sessions[1].date,
        depths={"left_cheek": 1.75, "forehead": 0.25, "left_periorbital": 0.2},
        screened_zones=["left_cheek", "right_cheek", "forehead"],
        other_sessions=[(1, START)],
    )

    assert [(d.code, d.field) for d in deviations] == [
        ("zone_not_planned", "depths"),
        ("zone_not_screened", "depths"),
        ("zone_not_planned", "depths"),
    ]
    assert deviations[0].message == "The forehead is not in the plan."
    assert "left periorbital" in deviations[1].message.lower() and "_" not in deviations[1].message


def test_deeper_than_planned_and_beyond_the_series(plan):
    assert check(plan, depths={"left_cheek": 2.0}) == [("deeper_than_planned", "depths")]
    assert check(plan, number=9, on=plan.sessions[3].date + dt.timedelta(days=28)) == [("beyond_series", "number")]


def test_the_plans_own_cap_holds_when_another_device_is_used():
    body = make_plan(parse_targets(["stretch_marks_red:abdomen"]), start=START, device="roller")
    assert body.sessions[0].depths[0].cap_mm == 2.0  # the roller's cap, below the abdomen's 2.5 mm

    found = session_deviations(body, number=1, on=START, depths={"abdomen": 2.5}, screened_zones=["abdomen"])

    assert [d.code for d in found] == ["above_plan_cap"]
    assert found[0].message == "2.5 mm on the abdomen is deeper than the plan's limit of 2 mm there."


def test_every_code_is_listed(plan):
    found = session_deviations(
        plan,
        number=7,
        on=START - dt.timedelta(days=3),
        depths={"left_cheek": 1.75, "chin": 0.5},
        screened_zones=["left_cheek"],
        other_sessions=[(1, START)],
    )
    assert {d.code for d in found} <= set(CODES)
    assert {d.code for d in found} == {
        "before_plan_start",
        "too_soon",
        "beyond_series",
        "zone_not_screened",
        "zone_not_planned",
    }


# --- the stored plan ----------------------------------------------------------------------------------------


def test_a_plan_reads_back_as_the_same_value(plan):
    stored = json.loads(json.dumps(plan.to_dict()))

    assert Plan.from_dict(stored) == plan
    assert stored["rules_version"] == load_rulebook().version and stored["rules_version"].startswith("sha256:")
    assert stored["session_timing"]["start_time"] == load_rulebook().session.start_time


def test_a_plan_with_an_event_reads_back():
    with_event = make_plan(parse_targets(["texture:nose"]), start=START, event=dt.date(2027, 9, 1))

    assert Plan.from_dict(with_event.to_dict()) == with_event


def test_a_plan_stored_before_the_additions_still_reads(plan):
    stored = plan.to_dict()
    for added in ("working_days", "rules_version", "session_timing"):
        del stored[added]

    read = Plan.from_dict(stored)

    assert (read.rules_version, read.timing, read.working_days) == ("", None, (0, 1, 2, 3, 4))
    assert read.sessions == plan.sessions


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"schema": "dermadelta.plan/2"}, "not a dermadelta.plan/1"),
        ({"sessions": []}, "no sessions"),
        ({"sessions": "four"}, "'sessions' of the plan is not a list"),
        ({"not_before": "soon"}, "'not_before' of the plan is not a date"),
        ({"min_interval_days": -28}, "'min_interval_days' of the plan is negative"),
        ({"min_interval_days": True}, "'min_interval_days' of the plan is not a whole number"),
        ({"maintenance": None}, "'maintenance' of the plan is not an object"),
        ({"targets": [{"concern": "texture", "zones": [1]}]}, "'zones' of a target of the plan holds something"),
        ({"notes": None}, "'notes' of the plan is not a list"),
        ({"working_days": [0, "Tuesday"]}, "'working_days' of the plan holds something other than whole numbers"),
        ({"session_timing": {"start_time": "10:00"}}, "'numbing_minutes' of the plan's session timing is missing"),
        ({"event": "tomorrow"}, "the plan's event is not an object"),
    ],
)
def test_a_malformed_stored_plan_is_refused_with_what_is_wrong(plan, change, words):
    with pytest.raises(InputError, match="stored plan") as refused:
        Plan.from_dict({**plan.to_dict(), **change})
    assert words in str(refused.value)


@pytest.mark.parametrize(
    "depth", [{"zone": "left_cheek", "concerns": [], "depth_mm": float("nan"), "cap_mm": 2.0}, {"zone": "x"}, []]
)
def test_a_malformed_depth_row_is_refused(plan, depth):
    stored = plan.to_dict()
    stored["sessions"][0]["depths"] = [depth]

    with pytest.raises(InputError, match="stored plan"):
        Plan.from_dict(stored)


@pytest.mark.parametrize("hostile", [None, [], "plan", 7, {"schema": "dermadelta.plan/1"}])
def test_anything_else_is_refused_not_crashed_on(hostile):
    with pytest.raises(InputError):
        Plan.from_dict(hostile)


def test_a_care_schedule_reads_back_as_the_same_value(plan):
    care = care_schedule(plan)

    assert CareSchedule.from_dict(json.loads(json.dumps(care.to_dict()))) == care


@pytest.mark.parametrize("hostile", [None, {}, {"schema": "dermadelta.care/1", "sessions": [{}]}, {"schema": "x"}])
def test_a_malformed_care_schedule_is_refused(hostile):
    with pytest.raises(InputError, match="care schedule"):
        CareSchedule.from_dict(hostile)


# --- what re-planning changes -------------------------------------------------------------------------------


def test_plan_changes_lists_dates_depths_and_care_in_words(plan):
    other = make_plan(parse_targets(["acne_scars_rolling:left_cheek,right_cheek"]), start=START, interval_weeks=6)

    changes = plan_changes(plan, other, old_care=care_schedule(plan), new_care=care_schedule(other))

    assert "Time between sessions: 28 → 42 days." in changes
    assert "Session 2: 8 Feb 2027 → 22 Feb 2027." in changes
    assert not any("_" in change for change in changes)
    assert plan_changes(plan, plan, old_care=care_schedule(plan), new_care=care_schedule(plan)) == ()
